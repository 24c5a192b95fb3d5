"""What every inbound channel shares: the services it answers with, the async responder, request helpers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from bot.channels.group_commit import (
    FLUSH,
    GroupCommit,
    GroupIntake,
    GroupWork,
    Handled,
    Passive,
    Sent,
    Unblocked,
    Write,
)
from bot.channels.metrics import ServiceMetrics
from bot.dialogue.held_writes import Journal
from bot.kernel.batching import Batcher, Lane
from bot.kernel.clock import Clock
from bot.kernel.messages import Inbound, Reply, Responder
from bot.kernel.settings import Settings
from ledger.channel_blocks import ChannelBlocks, MemoryChannelBlocks
from ledger.inbound import ClaimRequest, InboundStore, Intake, MemoryInboundStore
from reminders.dispatcher import is_transient
from reminders.handoff import ReplyHandoff
from reminders.outbox import ReplyRow, SqlOutbox

logger = logging.getLogger(__name__)

DeliveryStatus = Literal["delivered", "failed"]
HealthCheck = Callable[[], bool]
DeliveryStatusHook = Callable[[str, DeliveryStatus, str | None], None]
DispatchSoon = Callable[[], Awaitable[object]]
# Adds more routes to the HTTP app (the staff console), composed by the root.
RouteInstaller = Callable[[web.Application], None]
# Messages answered at once (threads). A brain that waits on a Rasa server needs many, so that one slow
# parse stalls only its own user; one that computes in-process gains nothing from more than a few: they
# take turns at the interpreter's lock, and the event loop and the group commit wait behind each of them.
# At 500 SMS/s on 2 cores, 4 instead of 16 took the p99 from 295-487 to 253-336 ms (three alternate runs
# each, load average 3-5.5).
RASA_ANSWER_THREADS = 16
LOCAL_ANSWER_THREADS = 4
# Group commits that may run at once on PostgreSQL, each on a connection of its own (callers are answered in
# the order their batches started). Two would let a request's writes go while the batch before theirs waits
# for its flush (4 ms on this disk), but stop 21's runs (load 4-4.6, no idle window) showed the write batches
# longer with two and no gain in p99, so one stays until an idle measurement shows otherwise.
COMMITS_AT_ONCE = 1
# How long a group commit or claim is retried while the database is busy before its requests fail (500).
COMMIT_PATIENCE = 10.0
# What `jxjy serve` answers and stores in a rolled-back transaction before it takes requests (``rehearse``):
# a question of each kind the first answers take (a fact, a date, a greeting), not the benches' questions.
REHEARSAL_TEXTS = ("继续教育什么时候截止", "今天能去资格确认吗", "你好")
REHEARSAL_ADDRESS = "rehearsal"
# Connections the rehearsal warms (PostgreSQL): as many as a burst uses at once, the batchers' and the
# dispatcher's. At 500 requests/s the first 100 ms of a fresh service went to the new server processes
# of the connections opened then (a first batch took 15-50 ms instead of 2-5).
REHEARSAL_CONNECTIONS = 2 + COMMITS_AT_ONCE + 1
_REHEARSAL_WINDOW = dt.timedelta(hours=1)


def log_delivery_status(message_id: str, status: DeliveryStatus, error: str | None) -> None:
    """The default receipt hook: only log (the outbox plugs in its own to record the outcome)."""
    logger.info("sms %s: %s%s", message_id, status, f" ({error})" if error else "")


class _Turns:
    """The lock of one conversation and how many of its messages hold or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class AsyncResponder:
    """Run a sync Responder in worker threads: one message at a time per conversation, conversations in parallel.

    Messages of one (channel, address) are answered in arrival order, never two at once, so the brain's
    conversation state sees each message after the previous one. Different conversations do not wait for
    each other: one slow parse (an unreachable Rasa server) stalls only its own user. A lock lives only
    while a message of its conversation is in flight, so their number stays bounded by the requests in
    flight; at most ``max_parallel`` messages are answered at once, the rest wait their turn.
    """

    def __init__(
        self,
        responder: Responder,
        *,
        max_parallel: int = 16,
        holding: Callable[[], AbstractContextManager[None]] | None = None,
    ) -> None:
        self._responder = responder
        self._holding = holding
        self._turns: dict[tuple[str, str], _Turns] = {}
        self._max_parallel = max_parallel
        self._executor: ThreadPoolExecutor | None = None

    async def answer(self, inbound: Inbound) -> Reply:
        """The responder's reply to ``inbound``, after the earlier messages of its conversation."""
        key = (inbound.channel, inbound.address)
        turns = self._turns.get(key)
        if turns is None:
            turns = self._turns[key] = _Turns()
        turns.users += 1
        try:
            async with turns.lock:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self._pool(), self._handle, inbound)
        finally:
            turns.users -= 1
            if turns.users == 0:
                del self._turns[key]

    def answer_here(self, inbound: Inbound) -> Reply:
        """Answer ``inbound`` in the calling thread, holding the dialogue's writes as ``answer`` does."""
        return self._handle(inbound)

    def _handle(self, inbound: Inbound) -> Reply:
        if self._holding is None:
            return self._responder.handle(inbound)
        with self._holding():
            return self._responder.handle(inbound)

    @property
    def conversations_in_flight(self) -> int:
        """How many conversations have a message being answered or waiting."""
        return len(self._turns)

    def close(self) -> None:
        """Let the worker threads end once the messages in flight are answered (a later message starts anew)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._max_parallel, thread_name_prefix="responder")
        return self._executor


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
    # Asks for a pass after replies were stored (handed to the dispatcher: no claim needed); else the above.
    dispatch_replies: DispatchSoon | None = None
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics.create)
    on_delivery_status: DeliveryStatusHook = log_delivery_status
    # How long a provider's retry waits for the request already answering its message before a 503.
    in_flight_wait: float = 5.0
    # Chat addresses their channel will not deliver to (unfollowed, blocked the bot).
    blocks: ChannelBlocks = field(default_factory=MemoryChannelBlocks)
    extra_routes: tuple[RouteInstaller, ...] = ()
    # The dialogue's writes held for the group commit (`jxjy serve`); None when the brain writes at once.
    journal: Journal | None = None
    # Messages answered at once (threads): LOCAL_ANSWER_THREADS or RASA_ANSWER_THREADS.
    answer_threads: int = RASA_ANSWER_THREADS
    # The running dispatcher's: replies are stored already claimed for it and handed over in memory.
    handoff: ReplyHandoff | None = None
    answerer: AsyncResponder = field(init=False)
    # Group commit: messages arriving together are claimed (and their senders counted), and what answering
    # them wrote (replies, handled marks, the dialogue's held writes) is stored, in shared transactions:
    # claims and writes that reach the one batcher together commit together (on PostgreSQL, claims and
    # writes each have a batcher of their own: see ``GroupWork.claims_apart``).
    intake: Lane[ClaimRequest, Intake] = field(init=False)
    commit: Lane[Write, bool] = field(init=False)

    _work: GroupWork = field(init=False, repr=False)
    _wake_pending: bool = field(default=False, init=False, repr=False)
    _waking: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        # One AsyncResponder for every channel: one message at a time per conversation, on any channel.
        # With a journal, what the brain writes while answering waits for the request's group commit.
        holding = self.journal.holding if self.journal is not None else None
        self.answerer = AsyncResponder(self.responder, max_parallel=self.answer_threads, holding=holding)
        # A busy SQLite (an import holding its lock) or a PostgreSQL deadlock is retried, not a 500 at once.
        intake = GroupIntake(self.inbound_store, self.journal)
        group = GroupCommit(self.outbox, self.inbound_store, self.blocks, self.journal, self.handoff)
        self._work = GroupWork(intake, group)
        if self._work.claims_apart:
            claims = Batcher(intake, transient=is_transient, patience=COMMIT_PATIENCE)
            # Two group commits at once: a batch does not wait for the one before it to reach the disk.
            writes = Batcher(
                group, transient=is_transient, patience=COMMIT_PATIENCE, concurrency=COMMITS_AT_ONCE
            )
            self.intake, self.commit = Lane(claims), Lane(writes)
        else:
            work = Batcher(self._work, transient=is_transient, patience=COMMIT_PATIENCE)
            self.intake, self.commit = Lane(work), Lane(work)

    def rehearse(self, *, answer: bool = True) -> None:
        """Answer a few messages of each channel and store them in a transaction rolled back, before serving.

        What a first request would otherwise pay for in its latency (imports on first use, statements
        compiled, a database connection opened, the model's first reads) is done here: a fresh instance
        answers its first burst at the speed of the hundredth. Nothing is kept: the rows are rolled back
        and the dialogue's held writes forgotten with them. ``answer=False`` leaves the brain out (one
        that waits on a Rasa server, which may not be up yet).
        """
        try:
            self._work.rehearse(self._rehearsal(answer), REHEARSAL_CONNECTIONS)
        except Exception:  # it only saves the first requests some time: serve without it
            logger.warning(
                "rehearsal before serving failed; the first requests will be slower", exc_info=True
            )
        finally:
            if self.journal is not None:
                self.journal.forget()  # the rehearsal's answers: nothing else is held before serving

    def _rehearsal(self, answer: bool) -> list[ClaimRequest | Write]:
        now = self.clock.now()
        items: list[ClaimRequest | Write] = []
        for channel in ("sms", "telegram", "wechat"):
            for text in REHEARSAL_TEXTS if answer else ():
                self.answerer.answer_here(Inbound(channel, REHEARSAL_ADDRESS, text))
            message = f"rehearsal-{channel}"
            reply = ReplyRow(f"reply:{channel}:{message}", channel, REHEARSAL_ADDRESS, "", now)
            window = _REHEARSAL_WINDOW if channel == "sms" else None
            items += [
                ClaimRequest(channel, message, REHEARSAL_ADDRESS, "", now, window),
                reply,
                Handled(channel, message, now),
                Unblocked(channel, REHEARSAL_ADDRESS),
            ]
        passive = ReplyRow("reply:wechat:rehearsal-passive", "wechat", REHEARSAL_ADDRESS, "", now)
        return [*items, Passive(passive), Sent(REHEARSAL_ADDRESS, 0, now, None)]

    def wake_dispatcher(self, background: BackgroundTasks) -> None:
        """Ask for a dispatch pass that starts after this call; calls meanwhile share one wake-up task.

        Requests whose replies commit together resume together: one wake-up for all, not one each. The
        task asks for a pass and waits for it; calls made while it waits are answered by one more pass
        after that one. So a pass that lasts (Telegram's 30 a second sending a backlog) keeps one task
        waiting, not one for every batch of replies committed meanwhile.
        """
        self._wake_pending = True
        if self._waking:
            return
        self._waking = True

        async def wake() -> None:
            try:
                while self._wake_pending:
                    self._wake_pending = False
                    await dispatch_soon(self, "replies just queued")
            finally:
                self._waking = False

        background.spawn(wake())

    async def record_sent(self, owner: str, send: tuple[int, dt.datetime, str | None]) -> None:
        """Record a send of dispatcher ``owner`` in the group commit, with the requests' writes."""
        await self.commit.submit(Sent(owner, *send))

    async def answer(self, inbound: Inbound) -> Reply:
        """The brain's reply, with what answering it wrote committed (for callers that queue no reply)."""
        reply = await self.answerer.answer(inbound)
        if self.journal is not None:
            await self.commit.submit(FLUSH)
        return reply


async def dispatch_soon(services: ServerServices, what: str) -> None:
    """Ask the running dispatcher to send what was just queued; a failure leaves it for the next sweep."""
    dispatch = services.dispatch_replies or services.dispatch_soon
    if dispatch is None:
        return
    try:
        await dispatch()
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

    def __len__(self) -> int:
        """How many tasks are still running."""
        return len(self._tasks)

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
