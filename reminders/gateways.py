"""Outbound channels: one small Protocol, an in-memory fake, and the real SMS and Telegram gateways."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from bot.clock import Clock, SystemClock

if TYPE_CHECKING:
    import aiohttp
    import telegram

    from bot.settings import Settings

log = logging.getLogger(__name__)

Channel = Literal["sms", "telegram"]
CHANNELS: tuple[Channel, ...] = ("sms", "telegram")


class GatewayError(Exception):
    """A gateway that cannot be built from the settings; the message names the variable to set."""


@dataclass(frozen=True)
class OutboundMessage:
    """One message to send: our id (the outbox id), the channel, the address there and the text."""

    id: str
    channel: Channel
    to: str
    text: str


@dataclass(frozen=True)
class SendResult:
    """What a gateway did with a message; ``retryable`` tells a transient failure from a final one."""

    ok: bool
    retryable: bool = False
    error: str | None = None
    provider_id: str | None = None

    @classmethod
    def sent(cls, provider_id: str | None = None) -> SendResult:
        return cls(ok=True, provider_id=provider_id)

    @classmethod
    def failed(cls, error: str, *, retryable: bool) -> SendResult:
        return cls(ok=False, retryable=retryable, error=error)


class Gateway(Protocol):
    """Send one message; never raise for delivery problems, report them in the SendResult."""

    async def send(self, msg: OutboundMessage) -> SendResult: ...


def mask_phone(phone: str) -> str:
    """Mask a mobile number for logs: 13812345678 → 138****5678."""
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "****"


def mask_address(channel: str, address: str) -> str:
    """Mask any address for logs: phone numbers keep 3+4 digits, chat ids their last 3."""
    if channel == "sms":
        return mask_phone(address)
    return f"***{address[-3:]}" if len(address) > 3 else "***"


def sign(body: bytes, secret: str) -> str:
    """Return the hex HMAC-SHA256 of a raw body, as carried in ``X-Jxjy-Signature``."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass
class MemoryGateway:
    """Record sends in memory; the test fake. Tell it to fail the next N sends or always for given ids."""

    sent: list[OutboundMessage] = field(default_factory=list)
    attempts: list[OutboundMessage] = field(default_factory=list)
    _fail_next: int = 0
    _fail_retryable: bool = True
    _fail_ids: dict[str, bool] = field(default_factory=dict)

    def fail_next(self, times: int, *, retryable: bool = True) -> None:
        """Make the next ``times`` sends fail (retryable or final)."""
        self._fail_next = times
        self._fail_retryable = retryable

    def fail_for(self, *ids: str, retryable: bool = False) -> None:
        """Make every send of these message ids fail."""
        for msg_id in ids:
            self._fail_ids[msg_id] = retryable

    async def send(self, msg: OutboundMessage) -> SendResult:
        self.attempts.append(msg)
        if msg.id in self._fail_ids:
            return SendResult.failed("refused by the test gateway", retryable=self._fail_ids[msg.id])
        if self._fail_next > 0:
            self._fail_next -= 1
            return SendResult.failed("test gateway is down", retryable=self._fail_retryable)
        self.sent.append(msg)
        return SendResult.sent(provider_id=f"mem-{len(self.sent)}")


class LogSmsGateway:
    """Append each message as a JSON line to ``sent.jsonl`` and fsync it: the embedded default."""

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = path
        self._clock = clock or SystemClock()
        self._lock = asyncio.Lock()

    async def send(self, msg: OutboundMessage) -> SendResult:
        line = json.dumps(
            {"id": msg.id, "to": msg.to, "text": msg.text, "at": self._clock.now().isoformat()},
            ensure_ascii=False,
        )
        async with self._lock:
            try:
                self._append(line + "\n")
            except OSError as exc:
                log.warning("sms log %s: cannot write message %s: %s", self.path, msg.id, exc.strerror)
                return SendResult.failed(f"cannot write {self.path}: {exc.strerror}", retryable=True)
        log.info("sms to %s logged as %s", mask_phone(msg.to), msg.id)
        return SendResult.sent(provider_id=msg.id)

    def _append(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)


class HttpSmsGateway:
    """POST ``{"id","to","text"}`` signed with HMAC-SHA256 to a generic SMS gateway; 2xx means accepted."""

    def __init__(self, url: str, secret: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self._secret = secret
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def _client(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        return self._session

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, msg: OutboundMessage) -> SendResult:
        import aiohttp

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


class TelegramGateway:
    """Send through the Bot API (``sendMessage``) at ``JXJY_TELEGRAM_API_URL``."""

    def __init__(self, token: str, base_url: str) -> None:
        self._token = token
        self._base_url = base_url
        self._bot: telegram.Bot | None = None

    async def _client(self) -> telegram.Bot:
        import telegram

        if self._bot is None:
            bot = telegram.Bot(self._token, base_url=self._base_url)
            await bot.initialize()
            self._bot = bot
        return self._bot

    async def aclose(self) -> None:
        """Shut the Bot's HTTP client down."""
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None

    async def send(self, msg: OutboundMessage) -> SendResult:
        from telegram import error

        who = mask_address("telegram", msg.to)
        try:
            bot = await self._client()
            sent = await bot.send_message(chat_id=msg.to, text=msg.text)
        except error.RetryAfter as exc:
            log.warning("telegram to %s (%s): rate limited for %s", who, msg.id, exc.retry_after)
            return SendResult.failed(f"rate limited, retry after {exc.retry_after}", retryable=True)
        except (error.Forbidden, error.BadRequest, error.InvalidToken) as exc:
            log.warning("telegram to %s (%s): refused: %s", who, msg.id, exc.message)
            return SendResult.failed(f"refused: {exc.message}", retryable=False)
        except error.TelegramError as exc:  # TimedOut and NetworkError: transient
            log.warning("telegram to %s (%s): %s", who, msg.id, exc.message)
            return SendResult.failed(f"network: {exc.message}", retryable=True)
        log.info("telegram to %s sent as %s", who, msg.id)
        return SendResult.sent(provider_id=str(sent.message_id))


def gateway_from_settings(settings: Settings, channel: Channel) -> Gateway:
    """Build the outbound gateway for a channel from the settings; raise GatewayError if unconfigured."""
    if channel == "telegram":
        if not settings.telegram_token:
            raise GatewayError("Telegram is not configured: set JXJY_TELEGRAM_TOKEN")
        return TelegramGateway(settings.telegram_token, settings.telegram_api_url)
    if channel != "sms":
        raise GatewayError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    kind = settings.sms_gateway.strip().lower()
    if kind == "log":
        return LogSmsGateway(settings.ensure_data_dir() / "sent.jsonl")
    if kind == "http":
        if not settings.sms_gateway_url or not settings.sms_secret:
            raise GatewayError("JXJY_SMS_GATEWAY=http needs JXJY_SMS_GATEWAY_URL and JXJY_SMS_SECRET")
        return HttpSmsGateway(settings.sms_gateway_url, settings.sms_secret)
    raise GatewayError(f"JXJY_SMS_GATEWAY={settings.sms_gateway!r} is not known; use 'log' or 'http'")


def gateways_from_settings(settings: Settings) -> dict[Channel, Gateway]:
    """Every configured outbound gateway: SMS always (the log by default), Telegram when a token is set."""
    gateways: dict[Channel, Gateway] = {"sms": gateway_from_settings(settings, "sms")}
    if settings.telegram_token:
        gateways["telegram"] = gateway_from_settings(settings, "telegram")
    return gateways


async def close_gateways(gateways: dict[Channel, Gateway]) -> None:
    """Close the gateways that hold connections."""
    for gateway in gateways.values():
        if isinstance(gateway, HttpSmsGateway | TelegramGateway):
            await gateway.aclose()
