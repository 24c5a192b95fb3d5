"""Tencent Cloud SMS as a channel: ``SendSms`` behind the outbox, and its reply / status pushes (CONTRACTS.md)."""

from __future__ import annotations

import hashlib
import logging
import time

from aiohttp import web

from bot.channels import tencent_sms
from bot.channels.message_fields import MessageFields
from bot.channels.sms import (
    answer_sms,
    checked_phone,
    checked_provider_id,
    read_push,
    record_receipt,
)
from bot.channels.sms_outcome import SmsOutcome
from bot.channels.sms_provider import ProviderRequest, TemplateSmsGateway
from bot.channels.sms_templates import SmsTemplate, SmsTemplates
from reminders.gateways import OutboundMessage

log = logging.getLogger(__name__)


class TencentSmsGateway(TemplateSmsGateway):
    """POST a TC3-HMAC-SHA256 signed ``SendSms`` (API 3.0) per message, with the kind's approved template.

    Our outbox id travels as ``SessionContext``; status pushes name Tencent's SerialNo, stored as the row's
    provider id. The signature's timestamp is the real time (Tencent refuses one more than 5 minutes off).
    """

    provider = "Tencent"

    def __init__(
        self,
        credentials: tencent_sms.TencentCredentials,
        *,
        sdk_app_id: str,
        sign_name: str,
        templates: SmsTemplates,
        fields: MessageFields,
        region: str = "ap-guangzhou",
        endpoint: str = tencent_sms.ENDPOINT,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(templates=templates, fields=fields, endpoint=endpoint, timeout=timeout)
        self._credentials = credentials
        self._sdk_app_id = sdk_app_id
        self._sign_name = sign_name
        self._region = region

    def request(
        self, msg: OutboundMessage, template: SmsTemplate, variables: dict[str, str]
    ) -> ProviderRequest:
        body = tencent_sms.send_sms_body(
            sdk_app_id=self._sdk_app_id,
            phone=msg.to,
            sign_name=self._sign_name,
            template_id=template.code,
            template_params=list(variables.values()),
            session_context=msg.id,
        )
        signed = tencent_sms.sign_request(
            self._credentials,
            body=body,
            timestamp=int(time.time()),
            region=self._region,
            endpoint=self.endpoint,
        )
        # skip_auto_headers: the Host and Content-Type sent must be exactly the ones signed.
        options = {"skip_auto_headers": ("Content-Type",)}
        return ProviderRequest(signed.url, signed.body, dict(signed.headers), options)

    def parse(self, status: int, payload: bytes) -> SmsOutcome:
        return tencent_sms.parse_send_sms_response(status, payload)


def reply_id(reply: tencent_sms.InboundSms) -> str:
    """The identity of a 短信回复 push, which carries no id: the sender, the second and the text, hashed
    (the id is logged; the number must not be)."""
    who = f"{reply.nationcode}:{reply.mobile}:{reply.text}".encode()
    return f"tencent:{reply.time}:{hashlib.sha256(who).hexdigest()[:24]}"


async def tencent_reply(request: web.Request) -> web.Response:
    """短信回复: answer the reply once (a resent push is recognised), then acknowledge as Tencent expects."""
    reply = await read_push(request, tencent_sms.parse_reply_push)
    await answer_sms(request, checked_provider_id(reply_id(reply)), checked_phone(reply.mobile), reply.text)
    return web.json_response(tencent_sms.PUSH_ACK)


async def tencent_status(request: web.Request) -> web.Response:
    """短信下发状态通知: record each receipt against the SerialNo (``sid``) stored with the sent row."""
    reports = await read_push(request, tencent_sms.parse_status_push)
    for report in reports:
        status = "delivered" if report.success else "failed"
        error = None if report.success else f"{report.errmsg} {report.description}".strip()
        await record_receipt(request, "", report.sid, status, error)
    return web.json_response(tencent_sms.PUSH_ACK)


def add_routes(app: web.Application) -> None:
    """Route Tencent's pushes."""
    app.router.add_post("/sms/tencent/reply", tencent_reply)
    app.router.add_post("/sms/tencent/status", tencent_status)
