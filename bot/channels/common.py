"""What every inbound channel shares: the services it answers with, the async responder, request helpers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from bot.channels.metrics import ServiceMetrics
from bot.kernel.clock import Clock
from bot.kernel.messages import Inbound, Reply, Responder
from bot.kernel.settings import Settings
from ledger.channel_blocks import ChannelBlocks, MemoryChannelBlocks
from ledger.inbound import InboundStore, MemoryInboundStore
from reminders.outbox import SqlOutbox

logger = logging.getLogger(__name__)

DeliveryStatus = Literal["delivered", "failed"]
HealthCheck = Callable[[], bool]
DeliveryStatusHook = Callable[[str, DeliveryStatus, str | None], None]
DispatchSoon = Callable[[], Awaitable[object]]


def log_delivery_status(message_id: str, status: DeliveryStatus, error: str | None) -> None:
    """The default receipt hook: only log (the outbox plugs in its own to record the outcome)."""
    logger.info("sms %s: %s%s", message_id, status, f" ({error})" if error else "")


class AsyncResponder:
    """Run a sync Responder in a worker thread, one message at a time.

    The brain keeps per-conversation state; serializing calls means it never has to be thread-safe,
    while the event loop stays free for HTTP and Telegram traffic.
    """

    def __init__(self, responder: Responder) -> None:
        self._responder = responder
        self._lock = asyncio.Lock()

    async def answer(self, inbound: Inbound) -> Reply:
        """The responder's reply to ``inbound``."""
        async with self._lock:
            return await asyncio.to_thread(self._responder.handle, inbound)


@dataclass
class ServerServices:
    """What the HTTP app and the channels need, built by the composition root.

    Replies are queued in the ``outbox`` (retried, kept across restarts) and ``dispatch_soon`` asks the
    running dispatcher to send them now.
    """

    settings: Settings
    responder: Responder
    health: HealthCheck
    outbox: SqlOutbox
    clock: Clock
    inbound_store: InboundStore = field(default_factory=MemoryInboundStore)
    dispatch_soon: DispatchSoon | None = None
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics.create)
    on_delivery_status: DeliveryStatusHook = log_delivery_status
    # Chat addresses their channel will not deliver to (unfollowed, blocked the bot).
    blocks: ChannelBlocks = field(default_factory=MemoryChannelBlocks)
    answerer: AsyncResponder = field(init=False)

    def __post_init__(self) -> None:
        # One AsyncResponder for every channel, so the brain sees one message at a time.
        self.answerer = AsyncResponder(self.responder)


async def dispatch_soon(services: ServerServices, what: str) -> None:
    """Ask the running dispatcher to send what was just queued; a failure leaves it for the next sweep."""
    if services.dispatch_soon is None:
        return
    try:
        await services.dispatch_soon()
    except Exception:
        logger.exception("%s: dispatch failed; the reply stays queued for the next sweep", what)


class BackgroundTasks:
    """Work started by a request after its answer: awaited (not dropped) on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Awaitable[None]) -> None:
        """Run ``work`` in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def join(self, timeout: float | None = None) -> None:
        """Wait for every task in flight; cancel what is still running after ``timeout``."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("shutdown: %d background tasks cancelled after %.0f s", len(pending), timeout or 0)
            await asyncio.wait(pending)


SERVICES = web.AppKey("services", ServerServices)
BACKGROUND = web.AppKey("background", BackgroundTasks)


def dumps(value: Any) -> str:
    """JSON with Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False)


class BadRequest(web.HTTPBadRequest):
    """A 400 with a JSON body naming what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(text=dumps({"error": reason}), content_type="application/json")


class Refused(web.HTTPException):
    """A 401/403/404 with a JSON body saying why the request was refused."""

    def __init__(self, status: int, reason: str) -> None:
        self.status_code = status
        super().__init__(text=dumps({"error": reason}), content_type="application/json")


def json_value(body: bytes) -> Any:
    """The decoded JSON of a request body (400 when it is not JSON)."""
    try:
        return json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc


def json_object(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body (400 otherwise)."""
    data = json_value(body)
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def identifier(data: dict[str, Any], key: str) -> str:
    """A non-empty string or integer field, as a string (400 otherwise)."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise BadRequest(f'"{key}" must be a non-empty string')
    return str(value).strip()


def string(data: dict[str, Any], key: str) -> str:
    """A string field (400 otherwise)."""
    value = data.get(key)
    if not isinstance(value, str):
        raise BadRequest(f'"{key}" must be a string')
    return value
