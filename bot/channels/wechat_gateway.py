"""Send to WeChat users: replies by customer-service message, reminders and broadcasts by template message.

A stale token (40001/40014/42001) is refreshed once and the call retried. When the platform will not
deliver to the user (43004 not following, 45015/45047 outside the customer-service window, 45009 quota)
the result asks the dispatcher to send the message by SMS instead; 43004 also stops WeChat sends to that
user until they follow again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.channels.message_fields import FIELD_ERRORS, MessageFields, render_fields
from bot.channels.wechat_api import (
    CUSTOM_SEND_PATH,
    SYSTEM_BUSY,
    TEMPLATE_SEND_PATH,
    USER_UNREACHABLE,
    SendAnswer,
    WeChatApiError,
    custom_text_body,
    read_send_answer,
    template_body,
)
from bot.channels.wechat_token import WeChatTokens
from bot.kernel.personal_data import mask_address
from reminders.gateways import OutboundMessage, SendResult
from reminders.outbox import REPLY_KIND

log = logging.getLogger(__name__)

NOT_FOLLOWING = 43004


class WeChatGateway:
    """Send through the official account's API at ``JXJY_WECHAT_API_URL``."""

    def __init__(
        self,
        tokens: WeChatTokens,
        api_url: str,
        *,
        template_id: str | None,
        template_fields: Mapping[str, str],
        fields: MessageFields,
        timeout: float = 10.0,
    ) -> None:
        self._tokens = tokens
        self._api_url = api_url.rstrip("/")
        self._template_id = template_id
        self._template_fields = dict(template_fields)
        self._fields = fields
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def aclose(self) -> None:
        """Close the HTTP sessions."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self._tokens.aclose()

    def _request(self, msg: OutboundMessage) -> tuple[str, dict[str, Any]]:
        """The path and body: a template message for reminders and broadcasts when a template is set."""
        if REPLY_KIND in msg.kinds or not self._template_id:
            return CUSTOM_SEND_PATH, custom_text_body(msg.to, msg.text)
        values = render_fields(self._fields, self._template_fields, msg)
        return TEMPLATE_SEND_PATH, template_body(msg.to, self._template_id, values)

    async def send(self, msg: OutboundMessage) -> SendResult:
        who = mask_address("wechat", msg.to)
        try:
            path, body = self._request(msg)
        except FIELD_ERRORS as exc:
            return SendResult.failed(f"WeChat template fields cannot be filled: {exc!r}", retryable=False)
        try:
            token = await self._tokens.token()
            answer = await self._post(path, token, body)
            if answer.status == "refresh_token":
                log.info(
                    "wechat to %s (%s): token refused (%d), refreshing once", who, msg.id, answer.errcode
                )
                answer = await self._post(path, await self._tokens.refresh(token), body)
        except WeChatApiError as exc:
            log.warning("wechat to %s (%s): %s", who, msg.id, exc)
            return SendResult.failed(str(exc), retryable=exc.errcode == SYSTEM_BUSY)
        log.info("wechat to %s (%s): %s %d", who, msg.id, answer.status, answer.errcode)
        return _result(answer)

    async def _post(self, path: str, token: str, body: dict[str, Any]) -> SendAnswer:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        try:
            async with self._session.post(
                self._api_url + path, params={"access_token": token}, data=data, headers=headers
            ) as resp:
                return read_send_answer(resp.status, await resp.read())
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WeChatApiError(SYSTEM_BUSY, f"API unreachable: {type(exc).__name__}") from None


def _result(answer: SendAnswer) -> SendResult:
    reason = f"WeChat {answer.errcode}: {USER_UNREACHABLE.get(answer.errcode, answer.errmsg)}"
    if answer.status == "sent":
        return SendResult.sent(provider_id=str(answer.msgid) if answer.msgid is not None else None)
    if answer.status == "fallback":
        return SendResult.unreachable(reason, blocked=answer.errcode == NOT_FOLLOWING)
    # A second stale-token answer right after a refresh is the platform's trouble: try again later.
    return SendResult.failed(reason, retryable=answer.status in ("retry", "refresh_token"))
