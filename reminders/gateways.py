"""Outbound channels: one small Protocol, an in-memory fake and the embedded log; the real ones live in bot.channels."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from bot.kernel.clock import Clock, SystemClock
from bot.kernel.personal_data import mask_phone

log = logging.getLogger(__name__)

Channel = Literal["sms", "telegram", "wechat"]
CHANNELS: tuple[Channel, ...] = ("sms", "telegram", "wechat")


class GatewayError(Exception):
    """A gateway that cannot be built from the settings; the message names the variable to set."""


@dataclass(frozen=True)
class OutboundMessage:
    """One message to send: our id (the outbox id), the channel, the address there and the text.

    ``kinds`` says what it is (``reply``, ``broadcast`` or reminder kinds): mainland SMS and WeChat pick
    their approved template by it; ``trainee_id`` names whom a reminder is for (None for a reply).
    """

    id: str
    channel: Channel
    to: str
    text: str
    kinds: tuple[str, ...] = ()
    trainee_id: int | None = None


@dataclass(frozen=True)
class SendResult:
    """What a gateway did with a message; ``retryable`` tells a transient failure from a final one.

    ``retry_after`` (seconds) is the provider's own wait before the next try (Telegram's 429).
    ``fallback`` means the channel will not deliver to this person now (unfollowed, blocked, outside the
    window): the message goes by SMS instead when the trainee has a phone. ``blocked`` also stops every
    later message on this channel to this address until the person writes again.
    """

    ok: bool
    retryable: bool = False
    error: str | None = None
    provider_id: str | None = None
    retry_after: float | None = None
    fallback: bool = False
    blocked: bool = False

    @classmethod
    def sent(cls, provider_id: str | None = None) -> SendResult:
        return cls(ok=True, provider_id=provider_id)

    @classmethod
    def failed(cls, error: str, *, retryable: bool, retry_after: float | None = None) -> SendResult:
        return cls(ok=False, retryable=retryable, error=error, retry_after=retry_after)

    @classmethod
    def unreachable(cls, error: str, *, blocked: bool = False) -> SendResult:
        """The channel refuses this person now; send by SMS instead (and, if ``blocked``, stop the channel)."""
        return cls(ok=False, error=error, fallback=True, blocked=blocked)


class Gateway(Protocol):
    """Send one message; never raise for delivery problems, report them in the SendResult."""

    async def send(self, msg: OutboundMessage) -> SendResult: ...


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
    """Append each message as a JSON line to ``sent.jsonl`` and fsync it: the embedded default.

    Writes happen in a worker thread, off the event loop. Lines that arrive while a write is under way are
    written together by the next one, with one fsync: a message is reported sent only once it is on disk.
    """

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = path
        self._clock = clock or SystemClock(dt.UTC)
        self._pending: list[tuple[str, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def send(self, msg: OutboundMessage) -> SendResult:
        line = json.dumps(
            {"id": msg.id, "to": msg.to, "text": msg.text, "at": self._clock.now().isoformat()},
            ensure_ascii=False,
        )
        written = asyncio.get_running_loop().create_future()
        self._pending.append((line + "\n", written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        try:
            await written
        except OSError as exc:
            log.warning("sms log %s: cannot write message %s: %s", self.path, msg.id, exc.strerror)
            return SendResult.failed(f"cannot write {self.path}: {exc.strerror}", retryable=True)
        log.debug("sms to %s logged as %s", mask_phone(msg.to), msg.id)
        return SendResult.sent(provider_id=msg.id)

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._append, "".join(line for line, _ in batch))
            except OSError as exc:
                for _, written in batch:
                    if not written.done():
                        written.set_exception(exc)
            else:
                for _, written in batch:
                    if not written.done():
                        written.set_result(None)

    def _append(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)


async def close_gateways(gateways: dict[Channel, Gateway]) -> None:
    """Close the gateways that hold connections."""
    for gateway in gateways.values():
        aclose = getattr(gateway, "aclose", None)
        if aclose is not None:
            await aclose()
