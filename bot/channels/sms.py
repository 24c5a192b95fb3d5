"""Inbound SMS from any provider: stored once per provider id, answered once, the reply queued in the outbox."""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web

from bot.channels.common import BACKGROUND, SERVICES, BadRequest, Refused, dispatch_soon
from bot.kernel.messages import Inbound
from bot.kernel.personal_data import mask_phone, normalize_phone
from ledger.inbound_models import PROVIDER_ID_LENGTH

logger = logging.getLogger(__name__)


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

    The reply goes in the outbox under ``reply:sms:<provider id>``, so a crash after the 200 loses nothing.
    A retry whose first attempt stopped between storing the message and queueing its reply is answered
    now; the key keeps a race to one reply.
    """
    services = request.app[SERVICES]
    outbox = services.outbox
    stored = await asyncio.to_thread(services.inbound_store.record, "sms", provider_id, phone, text)
    key = f"reply:sms:{provider_id}"
    if not stored and await asyncio.to_thread(outbox.has_key, key):
        services.metrics.inbound_duplicates.labels(channel="sms").inc()
        logger.info("sms %s from %s: duplicate, already answered", provider_id, mask_phone(phone))
        return False
    services.metrics.messages_in.labels(channel="sms").inc()
    reply = await services.answerer.answer(Inbound("sms", phone, text))  # a failure is a 500: retried
    services.metrics.replies.labels(channel="sms", intent=reply.intent).inc()
    queued = await asyncio.to_thread(
        outbox.enqueue_reply, key, "sms", phone, reply.text, services.clock.now()
    )
    if queued:
        services.metrics.sms_sent.labels(result="queued").inc()
        logger.info("sms %s from %s: reply queued, intent %s", provider_id, mask_phone(phone), reply.intent)
        request.app[BACKGROUND].spawn(dispatch_soon(services, f"sms {provider_id}"))
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
