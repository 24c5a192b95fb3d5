"""Sending to Telegram: the Bot API's ``sendMessage`` over aiohttp, its answers read as python-telegram-bot reads them.

The dispatcher sends every Telegram message through here, up to Telegram's 30 a second, on the event loop
that also answers the webhook. python-telegram-bot's ``Bot.send_message`` (over httpx and httpcore) cost
3.5-4 ms of CPU a message there — building its objects, checking every pooled connection's socket,
reading the answer in pieces — against a few tenths of a millisecond for one aiohttp POST. The Bot API's
answer is one JSON object, mapped to the same outcomes python-telegram-bot's errors gave: 429 waits as
told, 403 (blocked, deactivated) goes by SMS instead, 400/401/404 are refused for good, the rest retried.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from bot.kernel.personal_data import mask_address
from reminders.gateways import OutboundMessage, SendResult

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096  # characters in one Telegram message (python-telegram-bot's MessageLimit)
# python-telegram-bot's default timeouts: 5 s to connect, read and write.
TIMEOUT = aiohttp.ClientTimeout(total=15.0, connect=5.0, sock_read=5.0)
_PREFIXES = ("Error: ", "[Error]: ", "Bad Request: ")  # stripped from descriptions, as PTB does


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """Cut ``text`` into Telegram-sized parts, at line breaks where possible."""
    parts: list[str] = []
    rest = text or "…"
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    parts.append(rest)
    return parts


class BotApiError(Exception):
    """The Bot API said no: its HTTP status (``error_code``), description and ``retry_after``."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        for prefix in _PREFIXES:
            description = description.removeprefix(prefix)
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


class TelegramGateway:
    """Send through the Bot API (``sendMessage``) at ``JXJY_TELEGRAM_API_URL``."""

    def __init__(self, token: str, base_url: str) -> None:
        self._url = f"{base_url}{token}/sendMessage"
        self._session: aiohttp.ClientSession | None = None

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, msg: OutboundMessage) -> SendResult:
        """Send the text (in parts when long); a 429 waits as told, a block sends by SMS instead."""
        who = mask_address("telegram", msg.to)
        try:
            for part in split_text(msg.text):
                sent = await self._send_message(msg.to, part)
        except BotApiError as exc:
            return _refused(exc, who, msg.id)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:  # ValueError: not JSON
            logger.warning("telegram to %s (%s): %s", who, msg.id, type(exc).__name__)
            return SendResult.failed(f"network: {type(exc).__name__}", retryable=True)
        logger.info("telegram to %s sent as %s", who, msg.id)
        return SendResult.sent(provider_id=str(sent.get("message_id")))

    async def _send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        body = json.dumps({"chat_id": chat_id, "text": text}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        async with self._session.post(self._url, data=body, headers=headers) as resp:
            status, payload = resp.status, await resp.read()
        answer = json.loads(payload) if payload else {}
        if not isinstance(answer, dict):
            raise ValueError("the Bot API did not answer a JSON object")
        if status == 200 and answer.get("ok") is True and isinstance(answer.get("result"), dict):
            result: dict[str, Any] = answer["result"]
            return result
        parameters = answer.get("parameters")
        retry = parameters.get("retry_after") if isinstance(parameters, dict) else None
        description = answer.get("description")
        code = answer.get("error_code")
        raise BotApiError(
            code if isinstance(code, int) else status,
            description if isinstance(description, str) else f"HTTP {status}",
            float(retry) if isinstance(retry, int | float) else None,
        )


def _refused(exc: BotApiError, who: str, message_id: str) -> SendResult:
    """What a Bot API refusal means for the outbox row."""
    if exc.retry_after is not None:  # 429 Too Many Requests
        logger.warning("telegram to %s (%s): rate limited for %.0f s", who, message_id, exc.retry_after)
        return SendResult.failed(
            f"rate limited, retry after {exc.retry_after:.0f} s", retryable=True, retry_after=exc.retry_after
        )
    if exc.code == 403:  # "bot was blocked by the user", "user is deactivated"
        logger.warning("telegram to %s (%s): %s; stopping Telegram to this chat", who, message_id, exc)
        return SendResult.unreachable(f"Telegram: {exc.description}", blocked=True)
    if exc.code in (400, 401, 404):  # a bad request, or a token Telegram does not know
        logger.warning("telegram to %s (%s): refused: %s", who, message_id, exc)
        return SendResult.failed(f"refused: {exc.description}", retryable=False)
    logger.warning("telegram to %s (%s): %s", who, message_id, exc)
    return SendResult.failed(f"network: {exc.description}", retryable=True)
