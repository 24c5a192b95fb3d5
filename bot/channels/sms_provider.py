"""What the mainland SMS providers' gateways share: the approved template, one HTTP session, the outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.channels.message_fields import MessageFields
from bot.channels.sms_outcome import SmsOutcome
from bot.channels.sms_templates import SmsTemplate, SmsTemplates, template_variables
from bot.kernel.personal_data import mask_phone
from reminders.gateways import OutboundMessage, SendResult

log = logging.getLogger(__name__)


def send_result(outcome: SmsOutcome) -> SendResult:
    """The outbox's view of a mainland provider's answer: sent, retry later, or failed for good (reported)."""
    if outcome.sent:
        return SendResult.sent(provider_id=outcome.provider_id)
    reason = f"{outcome.code}: {outcome.message}" if outcome.message else outcome.code
    return SendResult.failed(reason[:500], retryable=outcome.retryable)


@dataclass(frozen=True)
class ProviderRequest:
    """One signed ``SendSms`` request, exactly as it must go over the wire."""

    url: str
    body: bytes | str
    headers: dict[str, str]
    options: dict[str, Any] = field(default_factory=dict)


class TemplateSmsGateway:
    """Send each message with its kind's approved template; subclasses sign and read the provider's API."""

    provider = "SMS"

    def __init__(
        self, *, templates: SmsTemplates, fields: MessageFields, endpoint: str, timeout: float
    ) -> None:
        self._templates = templates
        self._fields = fields
        self.endpoint = endpoint
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def request(
        self, msg: OutboundMessage, template: SmsTemplate, variables: dict[str, str]
    ) -> ProviderRequest:
        """The signed request that sends ``msg`` (provider-specific)."""
        raise NotImplementedError

    def parse(self, status: int, payload: bytes) -> SmsOutcome:
        """The provider's answer as an outcome (provider-specific)."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, msg: OutboundMessage) -> SendResult:
        picked = template_variables(self._templates, self._fields, msg)
        if isinstance(picked, SendResult):
            log.warning("sms to %s (%s): %s", mask_phone(msg.to), msg.id, picked.error)
            return picked
        template, variables = picked
        request = self.request(msg, template, variables)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        try:
            async with self._session.post(
                request.url, data=request.body, headers=request.headers, **request.options
            ) as resp:
                status, payload = resp.status, await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            name = type(exc).__name__
            log.warning("sms to %s (%s): %s unreachable: %s", mask_phone(msg.to), msg.id, self.provider, name)
            return SendResult.failed(f"{self.provider} unreachable: {name}", retryable=True)
        outcome = self.parse(status, payload)
        log.info(
            "sms to %s (%s) via %s: %s %s",
            mask_phone(msg.to),
            msg.id,
            self.provider,
            outcome.status,
            outcome.code,
        )
        return send_result(outcome)
