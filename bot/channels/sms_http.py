"""The generic SMS gateway (CONTRACTS.md): signed JSON in (``/sms/inbound``, ``/sms/status``) and out."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.common import SERVICES, BadRequest, Refused, identifier, json_object, string
from bot.channels.sms import answer_sms, checked_phone, checked_provider_id, record_status
from bot.kernel.personal_data import mask_phone
from reminders.gateways import OutboundMessage, SendResult

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Jxjy-Signature"


def sign(body: bytes, secret: str) -> str:
    """Return the hex HMAC-SHA256 of a raw body, as carried in ``X-Jxjy-Signature``."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _check_signature(request: web.Request, body: bytes) -> None:
    """Return when the body carries a valid signature; raise the 401/403 otherwise."""
    secret = request.app[SERVICES].settings.sms_secret
    if not secret:
        log.warning("%s refused: JXJY_SMS_SECRET is not set", request.path)
        raise Refused(403, "SMS endpoints are disabled: JXJY_SMS_SECRET is not set on the server")
    given = request.headers.get(SIGNATURE_HEADER)
    if not given:
        raise Refused(401, f"missing {SIGNATURE_HEADER} header (hex HMAC-SHA256 of the body)")
    if not hmac.compare_digest(sign(body, secret), given.strip().lower()):
        log.warning("%s refused: bad %s", request.path, SIGNATURE_HEADER)
        raise Refused(403, f"{SIGNATURE_HEADER} does not match the body")


async def _signed_json(request: web.Request) -> dict[str, Any]:
    """The JSON object of a request signed with JXJY_SMS_SECRET (401/403/400 otherwise)."""
    body = await request.read()
    _check_signature(request, body)
    return json_object(body)


async def sms_inbound(request: web.Request) -> web.Response:
    """Store an inbound SMS once per provider id and answer it (short form) through the outbox."""
    data = await _signed_json(request)
    provider_id = checked_provider_id(identifier(data, "id"))
    phone = checked_phone(string(data, "from"))
    answered = await answer_sms(request, provider_id, phone, string(data, "text"))
    return web.json_response({"status": "accepted" if answered else "duplicate", "id": provider_id})


async def sms_status(request: web.Request) -> web.Response:
    """Hand a signed delivery receipt to the outbox's hook."""
    data = await _signed_json(request)
    message_id = identifier(data, "id")
    error = data.get("error")
    if error is not None and not isinstance(error, str):
        raise BadRequest('"error" must be a string when given')
    await record_status(request, message_id, str(data.get("status")), error)
    return web.json_response({"status": "ok"})


def add_routes(app: web.Application) -> None:
    """Route the generic gateway's endpoints."""
    app.router.add_post("/sms/inbound", sms_inbound)
    app.router.add_post("/sms/status", sms_status)


class HttpSmsGateway:
    """POST ``{"id","to","text"}`` signed with HMAC-SHA256 to a generic SMS gateway; 2xx means accepted."""

    def __init__(self, url: str, secret: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self._secret = secret
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        return self._session

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, msg: OutboundMessage) -> SendResult:
        body = json.dumps({"id": msg.id, "to": msg.to, "text": msg.text}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Jxjy-Signature": sign(body, self._secret)}
        session = await self._client()
        try:
            async with session.post(self.url, data=body, headers=headers) as resp:
                payload = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = f"gateway unreachable: {type(exc).__name__}"
            log.warning("sms to %s (%s): %s", mask_phone(msg.to), msg.id, reason)
            return SendResult.failed(reason, retryable=True)
        if 200 <= status < 300:
            log.info("sms to %s accepted as %s", mask_phone(msg.to), msg.id)
            return SendResult.sent(provider_id=_provider_id(payload))
        retryable = status >= 500 or status == 429
        log.warning("sms to %s (%s): gateway answered %d", mask_phone(msg.to), msg.id, status)
        return SendResult.failed(f"gateway answered HTTP {status}", retryable=retryable)


def _provider_id(payload: bytes) -> str | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value is not None else None
