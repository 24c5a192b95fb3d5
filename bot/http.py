"""HTTP endpoints of `jxjy serve` (CONTRACTS.md): Telegram webhook, SMS in and receipts, health, metrics."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from sqlalchemy import Engine, text

from bot.clock import Clock, SystemClock
from bot.inbound import AsyncResponder, InboundStore, MemoryInboundStore, normalize_phone
from bot.messages import Inbound, Reply, Responder
from bot.metrics import CONTENT_TYPE, ServiceMetrics
from bot.models import PROVIDER_ID_LENGTH
from bot.settings import Settings
from bot.telegram import TelegramApp, feed_update
from reminders.gateways import Gateway, OutboundMessage, mask_phone, sign
from reminders.outbox import SqlOutbox

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Jxjy-Signature"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_TIMEOUT = 5.0
REPLY_DRAIN_TIMEOUT = 10.0

DeliveryStatus = Literal["delivered", "failed"]
HealthCheck = Callable[[], bool]
DeliveryStatusHook = Callable[[str, DeliveryStatus, str | None], None]
DispatchSoon = Callable[[], Awaitable[object]]


def log_delivery_status(message_id: str, status: DeliveryStatus, error: str | None) -> None:
    """The default receipt hook: only log (the outbox plugs in its own to record the outcome)."""
    logger.info("sms %s: %s%s", message_id, status, f" ({error})" if error else "")


def engine_health(engine: Engine) -> HealthCheck:
    """A health check that asks the database ``SELECT 1``."""

    def check() -> bool:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True

    return check


@dataclass
class ServerServices:
    """What the HTTP app and the channels need, built by the composition root.

    With an ``outbox``, SMS replies are queued there (retried, kept across restarts) and ``dispatch_soon``
    asks the running dispatcher to send them now; without one (tests, embedded use) they go straight
    through ``sms_outbound``, once.
    """

    settings: Settings
    responder: Responder
    health: HealthCheck
    sms_outbound: Gateway | None = None
    inbound_store: InboundStore = field(default_factory=MemoryInboundStore)
    outbox: SqlOutbox | None = None
    dispatch_soon: DispatchSoon | None = None
    clock: Clock = field(default_factory=SystemClock)
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics.create)
    on_delivery_status: DeliveryStatusHook = log_delivery_status
    answerer: AsyncResponder = field(init=False)

    def __post_init__(self) -> None:
        if self.outbox is None and self.sms_outbound is None:
            raise ValueError("ServerServices needs an outbox or an sms_outbound gateway to answer SMS")
        # One AsyncResponder for every channel, so the brain sees one message at a time.
        self.answerer = AsyncResponder(self.responder)


class ReplyTasks:
    """SMS replies in flight: answered after the 200, awaited (not dropped) on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Awaitable[None]) -> None:
        """Run ``work`` in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def join(self, timeout: float | None = None) -> None:
        """Wait for every reply in flight; cancel what is still running after ``timeout``."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("shutdown: %d SMS replies cancelled after %.0f s", len(pending), timeout or 0)
            await asyncio.wait(pending)


SERVICES = web.AppKey("services", ServerServices)
TELEGRAM = web.AppKey("telegram", TelegramApp)
REPLY_TASKS = web.AppKey("reply_tasks", ReplyTasks)


class BadRequest(web.HTTPBadRequest):
    """A 400 with a JSON body naming what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            text=json.dumps({"error": reason}, ensure_ascii=False), content_type="application/json"
        )


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- SMS -------------------------------------------------------------------------------------------


class _Refused(web.HTTPException):
    """A 401/403 with a JSON body saying why the request was refused."""

    def __init__(self, status: int, reason: str) -> None:
        self.status_code = status
        super().__init__(text=_dumps({"error": reason}), content_type="application/json")


def _check_signature(request: web.Request, body: bytes) -> None:
    """Return when the body carries a valid signature; raise the 401/403 otherwise."""
    secret = request.app[SERVICES].settings.sms_secret
    if not secret:
        logger.warning("%s refused: JXJY_SMS_SECRET is not set", request.path)
        raise _Refused(403, "SMS endpoints are disabled: JXJY_SMS_SECRET is not set on the server")
    given = request.headers.get(SIGNATURE_HEADER)
    if not given:
        raise _Refused(401, f"missing {SIGNATURE_HEADER} header (hex HMAC-SHA256 of the body)")
    if not hmac.compare_digest(sign(body, secret), given.strip().lower()):
        logger.warning("%s refused: bad %s", request.path, SIGNATURE_HEADER)
        raise _Refused(403, f"{SIGNATURE_HEADER} does not match the body")


async def _signed_json(request: web.Request) -> dict[str, Any]:
    """The JSON object of a request signed with JXJY_SMS_SECRET (401/403/400 otherwise)."""
    body = await request.read()
    _check_signature(request, body)
    return _json_object(body)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _identifier(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise BadRequest(f'"{key}" must be a non-empty string')
    return str(value).strip()


def _string(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise BadRequest(f'"{key}" must be a string')
    return value


async def sms_inbound(request: web.Request) -> web.Response:
    """Store an inbound SMS once per provider id and answer it (short form), through the outbox when set."""
    data = await _signed_json(request)
    provider_id = _identifier(data, "id")
    if len(provider_id) > PROVIDER_ID_LENGTH:
        raise BadRequest(f'"id" is longer than {PROVIDER_ID_LENGTH} characters')
    phone = normalize_phone(_string(data, "from"))
    if not phone:
        raise BadRequest('"from" must be a phone number')
    message = _string(data, "text")
    services = request.app[SERVICES]
    stored = await asyncio.to_thread(services.inbound_store.record, "sms", provider_id, phone, message)
    if services.outbox is not None:
        return await _answer_through_outbox(request, services, stored, provider_id, phone, message)
    if not stored:
        return _duplicate(services, provider_id, phone)
    services.metrics.messages_in.inc(channel="sms")
    request.app[REPLY_TASKS].spawn(_answer_sms(services, provider_id, phone, message))
    return web.json_response({"status": "accepted", "id": provider_id})


def _duplicate(services: ServerServices, provider_id: str, phone: str) -> web.Response:
    services.metrics.inbound_duplicates.inc(channel="sms")
    logger.info("sms %s from %s: duplicate, already answered", provider_id, mask_phone(phone))
    return web.json_response({"status": "duplicate", "id": provider_id})


async def _answer_through_outbox(
    request: web.Request, services: ServerServices, stored: bool, provider_id: str, phone: str, message: str
) -> web.Response:
    """Queue the reply before saying 200, so a crash after the 200 loses nothing.

    A retry whose first attempt stopped between storing the message and queueing its reply (no reply row
    under ``reply:sms:<provider id>``) is answered now; the key keeps a race to one reply.
    """
    outbox = services.outbox
    if outbox is None:  # checked by the caller; keeps the type checker informed
        raise RuntimeError("no outbox")
    key = f"reply:sms:{provider_id}"
    if not stored and await asyncio.to_thread(outbox.has_key, key):
        return _duplicate(services, provider_id, phone)
    services.metrics.messages_in.inc(channel="sms")
    reply = await services.answerer.answer(Inbound("sms", phone, message))  # a failure is a 500: retried
    services.metrics.replies.inc(channel="sms", intent=reply.intent)
    queued = await asyncio.to_thread(
        outbox.enqueue_reply, key, "sms", phone, reply.text, services.clock.now()
    )
    if queued:
        services.metrics.sms_sent.inc(result="queued")
        logger.info("sms %s from %s: reply queued, intent %s", provider_id, mask_phone(phone), reply.intent)
        request.app[REPLY_TASKS].spawn(_dispatch_soon(services, provider_id))
    return web.json_response({"status": "accepted", "id": provider_id})


async def _dispatch_soon(services: ServerServices, provider_id: str) -> None:
    if services.dispatch_soon is None:
        return
    try:
        await services.dispatch_soon()
    except Exception:
        logger.exception("sms %s: dispatch failed; the reply stays queued for the next sweep", provider_id)


async def _answer_sms(services: ServerServices, provider_id: str, phone: str, message: str) -> None:
    """Answer straight through the gateway (embedded use without an outbox)."""
    try:
        reply = await services.answerer.answer(Inbound("sms", phone, message))
    except Exception:
        services.metrics.sms_sent.inc(result="error")
        logger.exception("sms %s from %s: the responder failed", provider_id, mask_phone(phone))
        return
    services.metrics.replies.inc(channel="sms", intent=reply.intent)
    await _send_reply(services, provider_id, phone, reply)


async def _send_reply(services: ServerServices, provider_id: str, phone: str, reply: Reply) -> None:
    if services.sms_outbound is None:  # ruled out by ServerServices.__post_init__
        raise RuntimeError("no outbox and no sms_outbound gateway to send the reply")
    outbound = OutboundMessage(id=f"sms-reply-{provider_id}", channel="sms", to=phone, text=reply.text)
    result = await services.sms_outbound.send(outbound)
    outcome = "ok" if result.ok else "retryable" if result.retryable else "failed"
    services.metrics.sms_sent.inc(result=outcome)
    if result.ok:
        logger.info("sms %s from %s: answered, intent %s", provider_id, mask_phone(phone), reply.intent)
    else:
        logger.warning("sms %s from %s: reply not sent: %s", provider_id, mask_phone(phone), result.error)


async def sms_status(request: web.Request) -> web.Response:
    """Hand a signed delivery receipt to the outbox's hook."""
    data = await _signed_json(request)
    message_id = _identifier(data, "id")
    status = data.get("status")
    if status not in ("delivered", "failed"):
        raise BadRequest('"status" must be "delivered" or "failed"')
    error = data.get("error")
    if error is not None and not isinstance(error, str):
        raise BadRequest('"error" must be a string when given')
    services = request.app[SERVICES]
    services.metrics.sms_status.inc(status=status)
    await asyncio.to_thread(services.on_delivery_status, message_id, status, error)
    return web.json_response({"status": "ok"})


# --- Telegram, health, metrics ---------------------------------------------------------------------


async def telegram_webhook(request: web.Request) -> web.Response:
    """Queue a Telegram Update for the PTB application; 403 without the configured secret."""
    secret = request.app[SERVICES].settings.telegram_webhook_secret
    if secret and not hmac.compare_digest(
        request.headers.get(TELEGRAM_SECRET_HEADER, "").encode(), secret.encode()
    ):
        logger.warning("telegram webhook refused: wrong or missing %s", TELEGRAM_SECRET_HEADER)
        return _refuse(403, f"wrong or missing {TELEGRAM_SECRET_HEADER}")
    application = request.app.get(TELEGRAM)
    if application is None or not secret:
        return _refuse(
            404, "Telegram webhook is off: needs JXJY_TELEGRAM_TOKEN and JXJY_TELEGRAM_WEBHOOK_SECRET"
        )
    data = _json_object(await request.read())
    try:
        await feed_update(application, data)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return web.json_response({"ok": True})


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise."""
    check = request.app[SERVICES].health
    try:
        healthy = await asyncio.wait_for(asyncio.to_thread(check), HEALTH_TIMEOUT)
    except Exception as exc:
        logger.warning("health check failed: %s", type(exc).__name__)
        healthy = False
    if healthy:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "unavailable", "error": "the database does not answer"}, status=503)


async def metrics(request: web.Request) -> web.Response:
    """The counters in the Prometheus text format."""
    body = request.app[SERVICES].metrics.registry.render()
    return web.Response(body=body.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE})


# --- the application ---------------------------------------------------------------------------------


@web.middleware
async def count_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count every response with status >= 400 by route (not raw path, to bound the label values)."""
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400:
            request.app[SERVICES].metrics.http_errors.inc(route=route, status=str(exc.status))
        raise
    except Exception:
        request.app[SERVICES].metrics.http_errors.inc(route=route, status="500")
        raise
    if response.status >= 400:
        request.app[SERVICES].metrics.http_errors.inc(route=route, status=str(response.status))
    return response


async def _reply_tasks_ctx(app: web.Application) -> AsyncIterator[None]:
    app[REPLY_TASKS] = ReplyTasks()
    yield
    await app[REPLY_TASKS].join(REPLY_DRAIN_TIMEOUT)


def build_app(services: ServerServices, *, telegram: TelegramApp | None = None) -> web.Application:
    """The aiohttp application; ``telegram`` (already started elsewhere) receives webhook updates."""
    app = web.Application(middlewares=[count_errors])
    app[SERVICES] = services
    if telegram is not None:
        app[TELEGRAM] = telegram
    app.cleanup_ctx.append(_reply_tasks_ctx)
    app.router.add_post("/telegram/webhook", telegram_webhook)
    app.router.add_post("/sms/inbound", sms_inbound)
    app.router.add_post("/sms/status", sms_status)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app
