"""Inbound SMS from any provider: stored once per provider id, answered once, the reply queued in the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from bot.channels.common import (
    BACKGROUND,
    SERVICES,
    BadRequest,
    Refused,
    ServerServices,
    dumps,
)
from bot.channels.group_commit import Handled
from bot.channels.sms_outcome import PushError
from bot.kernel.messages import Inbound
from bot.kernel.personal_data import mask_phone, normalize_phone
from ledger.inbound import ClaimRequest, Intake
from ledger.inbound_models import PROVIDER_ID_LENGTH
from reminders.outbox import ReplyRow

logger = logging.getLogger(__name__)

T = TypeVar("T")

IN_FLIGHT_POLL = 0.05  # seconds between looks at a message another request is answering
RETRY_AFTER_SECONDS = 10
# The per-sender cap (JXJY_INBOUND_PER_SENDER_HOUR) counts a sender's messages in this window.
SENDER_WINDOW = dt.timedelta(hours=1)


def checked_provider_id(provider_id: str) -> str:
    """The provider's message id, refused (400) when it cannot be stored."""
    if len(provider_id) > PROVIDER_ID_LENGTH:
        raise BadRequest(f"message id is longer than {PROVIDER_ID_LENGTH} characters")
    return provider_id


def checked_phone(raw: str) -> str:
    """The sender's 11-digit number (400 when there is none)."""
    phone = normalize_phone(raw)
    if not phone:
        raise BadRequest("the sender must be a phone number")
    return phone


async def answer_sms(request: web.Request, provider_id: str, phone: str, text: str) -> bool:
    """Store an inbound SMS and queue its reply before the provider hears 200; False for a duplicate.

    Of concurrent deliveries of one provider id only the one that claims the message runs the brain;
    the others wait for it and are duplicates (or, when it is still not done, are told to retry later:
    503). A retry after the claimer died between its claim and its reply takes the lapsed claim over and
    answers. The reply goes in the outbox under ``reply:sms:<provider id>``, so a crash after the 200
    loses nothing, and the key keeps any race to one reply. Past the per-sender cap a message is stored,
    not answered: an auto-responder talking to the bot cannot make an endless, paid loop. The claim and
    the count share one transaction with other requests' (group commit), as do the reply, the handled
    mark and the dialogue's writes.
    """
    services = request.app[SERVICES]
    outbox = services.outbox
    intake = await _claim(services, provider_id, phone, text)
    claim = intake.claim
    key = f"reply:sms:{provider_id}"
    handled = Handled("sms", provider_id, services.clock.now())
    if claim == "taken_over" and await asyncio.to_thread(outbox.has_key, key):
        claim = "handled"  # the claimer queued the reply and died before saying so
        await services.commit.submit(handled)
    if claim == "handled":
        services.metrics.inbound_duplicates.labels(channel="sms").inc()
        logger.info("sms %s from %s: duplicate, already answered", provider_id, mask_phone(phone))
        return False
    services.metrics.messages_in.labels(channel="sms").inc()
    if _capped(services, provider_id, phone, intake.recent):
        await services.commit.submit(handled)
        return True
    reply = await services.answerer.answer(Inbound("sms", phone, text))  # a failure is a 500: retried
    services.metrics.replies.labels(channel="sms", intent=reply.intent).inc()
    row = ReplyRow(key, "sms", phone, reply.text, services.clock.now())
    queued, _ = await services.commit.submit_all(row, handled)  # the reply commits no later than the mark
    if queued:
        services.metrics.sms_sent.labels(result="queued").inc()
        logger.info("sms %s from %s: reply queued, intent %s", provider_id, mask_phone(phone), reply.intent)
        services.wake_dispatcher(request.app[BACKGROUND])
    return True


async def _claim(services: ServerServices, provider_id: str, phone: str, text: str) -> Intake:
    """Claim the message; while another request answers it, wait for that one (503 if it takes too long)."""
    window = SENDER_WINDOW

    def claiming() -> ClaimRequest:
        return ClaimRequest("sms", provider_id, phone, text, services.clock.now(), window)

    intake = await services.intake.submit(claiming())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.in_flight_wait
    while intake.claim == "in_flight" and loop.time() < deadline:
        await asyncio.sleep(IN_FLIGHT_POLL)
        intake = await services.intake.submit(claiming())
    if intake.claim == "in_flight":
        logger.info(
            "sms %s from %s: still being answered; the provider retries", provider_id, mask_phone(phone)
        )
        raise web.HTTPServiceUnavailable(
            text=dumps({"error": "this message is being answered; retry later"}),
            content_type="application/json",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return intake


def _capped(services: ServerServices, provider_id: str, phone: str, count: int) -> bool:
    """True when the sender passed the per-sender cap this hour: count it and log it (masked)."""
    cap = services.settings.inbound_per_sender_hour
    if count <= cap:
        return False
    services.metrics.inbound_capped.labels(channel="sms").inc()
    level = logging.WARNING if count == cap + 1 else logging.INFO
    logger.log(
        level, "sms %s from %s: %d messages this hour (cap %d): stored, not answered", provider_id,
        mask_phone(phone), count, cap,
    )  # fmt: skip
    return True


async def record_status(request: web.Request, message_id: str, status: str, error: str | None) -> None:
    """Hand one delivery receipt to the outbox's hook."""
    services = request.app[SERVICES]
    if status not in ("delivered", "failed"):
        raise BadRequest('"status" must be "delivered" or "failed"')
    services.metrics.sms_status.labels(status=status).inc()
    await asyncio.to_thread(services.on_delivery_status, message_id, status, error)  # type: ignore[arg-type]


def check_callback_token(request: web.Request) -> None:
    """Refuse (403) a provider push whose ``?token=`` is not JXJY_SMS_CALLBACK_TOKEN, before reading it."""
    expected = request.app[SERVICES].settings.sms_callback_token
    if not expected:
        logger.warning("%s refused: JXJY_SMS_CALLBACK_TOKEN is not set", request.path)
        raise Refused(
            403, "SMS push endpoints are disabled: JXJY_SMS_CALLBACK_TOKEN is not set on the server"
        )
    given = request.query.get("token", "")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        logger.warning("%s refused: wrong or missing token", request.path)
        raise Refused(403, "wrong or missing ?token=")


async def read_push(request: web.Request, parse: Callable[[bytes], T]) -> T:
    """A provider push, token checked first, parsed by ``parse``; a malformed body is a 400 saying why."""
    check_callback_token(request)
    try:
        return parse(await request.read())
    except PushError as exc:
        raise BadRequest(str(exc)) from exc


async def record_receipt(
    request: web.Request, message_id: str, provider_id: str, status: str, error: str | None
) -> None:
    """Store one provider receipt by our id (when the provider echoes it) or by the provider's own id."""
    services = request.app[SERVICES]
    services.metrics.sms_status.labels(status=status).inc()
    outbox = services.outbox
    known = message_id.isdigit() and await asyncio.to_thread(outbox.record_receipt, message_id, status, error)
    if not known and provider_id:
        known = await asyncio.to_thread(outbox.record_provider_receipt, "sms", provider_id, status, error)
    if not known:
        logger.info("receipt for unknown message %s / %s: %s", message_id or "-", provider_id or "-", status)
