"""Aliyun SMS as a channel: ``SendSms`` behind the outbox, and its SmsUp / SmsReport pushes (CONTRACTS.md)."""

from __future__ import annotations

import datetime as dt
import logging

from aiohttp import web

from bot.channels import aliyun_sms
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


class AliyunSmsGateway(TemplateSmsGateway):
    """POST a signed ``SendSms`` (RPC, HMAC-SHA1) per message, with the kind's approved template.

    Our outbox id travels as ``OutId`` and comes back in delivery reports. The signature's timestamp is the
    real UTC time (the provider refuses one more than 15 minutes off), never the business clock.
    """

    provider = "Aliyun"

    def __init__(
        self,
        credentials: aliyun_sms.AliyunCredentials,
        *,
        sign_name: str,
        templates: SmsTemplates,
        fields: MessageFields,
        endpoint: str = aliyun_sms.ENDPOINT,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(templates=templates, fields=fields, endpoint=endpoint, timeout=timeout)
        self._credentials = credentials
        self._sign_name = sign_name

    def request(
        self, msg: OutboundMessage, template: SmsTemplate, variables: dict[str, str]
    ) -> ProviderRequest:
        params = aliyun_sms.send_sms_params(
            self._credentials,
            phone=msg.to,
            sign_name=self._sign_name,
            template_code=template.code,
            template_param=variables,
            now=dt.datetime.now(dt.UTC),
            out_id=msg.id,
        )
        headers = {"Content-Type": aliyun_sms.FORM_CONTENT_TYPE}
        return ProviderRequest(self.endpoint, aliyun_sms.form_body(params), headers)

    def parse(self, status: int, payload: bytes) -> SmsOutcome:
        return aliyun_sms.parse_send_sms_response(status, payload)


async def aliyun_up(request: web.Request) -> web.Response:
    """SmsUp: answer each inbound reply once (stored per sequence id), then acknowledge as Aliyun expects."""
    replies = await read_push(request, aliyun_sms.parse_up_push)
    for reply in replies:
        provider_id = checked_provider_id(f"aliyun:{reply.sequence_id}")
        await answer_sms(request, provider_id, checked_phone(reply.phone), reply.content)
    return web.json_response(aliyun_sms.PUSH_ACK)


async def aliyun_report(request: web.Request) -> web.Response:
    """SmsReport: record each receipt against our outbox id (OutId) or Aliyun's BizId."""
    reports = await read_push(request, aliyun_sms.parse_report_push)
    for report in reports:
        status = "delivered" if report.success else "failed"
        error = None if report.success else f"{report.err_code} {report.err_msg}".strip()
        await record_receipt(request, report.out_id, report.biz_id, status, error)
    return web.json_response(aliyun_sms.PUSH_ACK)


def add_routes(app: web.Application) -> None:
    """Route Aliyun's pushes."""
    app.router.add_post("/sms/aliyun/up", aliyun_up)
    app.router.add_post("/sms/aliyun/report", aliyun_report)
