"""The dispatcher: claim due outbox rows, send them through the channel gateways, record what happened.

Crash safety: a row is marked ``sending`` and committed before its gateway is called, and recorded right
after. A crash between the two leaves it in ``sending``; recovery puts it back in the queue, so the only
possible duplicate is a message that was in flight at the crash, at most once per crash.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiolimiter import AsyncLimiter

from bot.kernel.clock import Clock
from bot.kernel.personal_data import mask_address
from ledger.channel_blocks import ChannelBlocks, SqlChannelBlocks
from reminders.fallback import reroute_to_sms
from reminders.gateways import Channel, Gateway, OutboundMessage, SendResult
from reminders.outbox import Claimed, SqlOutbox, new_owner
from reminders.policy import QuietHours

if TYPE_CHECKING:
    from bot.kernel.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchLimits:
    """How the dispatcher paces, retries and gives up; the defaults suit one SMS gateway and one bot."""

    batch_size: int = 200
    concurrency: int = 20
    max_attempts: int = 8
    backoff_base: dt.timedelta = dt.timedelta(minutes=1)
    backoff_cap: dt.timedelta = dt.timedelta(hours=1)
    lease_ttl: dt.timedelta = dt.timedelta(minutes=5)
    stale_after: dt.timedelta = dt.timedelta(minutes=5)
    sms_per_number_hour: int = 5
    sms_per_number_day: int = 10
    telegram_per_second: float = 30.0
    telegram_per_chat_per_second: float = 1.0


def limits_from_settings(settings: Settings) -> DispatchLimits:
    """The dispatch limits the environment may change (JXJY_SMS_PER_NUMBER_HOUR/_DAY); the rest default."""
    return DispatchLimits(
        sms_per_number_hour=settings.sms_per_number_hour, sms_per_number_day=settings.sms_per_number_day
    )


@dataclass
class DispatchSummary:
    """What one dispatch pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    parked: int = 0
    deferred: int = 0
    cancelled: int = 0
    recovered: int = 0
    rerouted: int = 0  # refused by WeChat or Telegram, queued by SMS instead

    def add(self, other: DispatchSummary) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def backoff(attempts: int, limits: DispatchLimits, rng: Callable[[], float] = random.random) -> dt.timedelta:
    """Exponential backoff with jitter, capped: 1 min, 2, 4, ... up to 1 h, each at 50–100 % of its step."""
    step: dt.timedelta = min(limits.backoff_cap, limits.backoff_base * (2 ** max(0, attempts - 1)))
    return step * (0.5 + 0.5 * rng())


class RateLimiter:
    """Telegram's pacing with aiolimiter: ``per_second`` sends overall, one per ``per_key_interval`` per chat.

    Per-chat limiters are kept for the ``max_keys`` most recent chats, so a long run stays small.
    """

    def __init__(self, per_second: float, per_key_interval: float, max_keys: int = 10_000) -> None:
        self._overall = AsyncLimiter(per_second, 1.0)
        self._per_key_interval = per_key_interval
        self._per_key: OrderedDict[str, AsyncLimiter] = OrderedDict()
        self._max_keys = max_keys

    async def wait(self, key: str) -> None:
        """Return when one more send to ``key`` keeps within both limits."""
        limiter = self._per_key.pop(key, None) or AsyncLimiter(1, self._per_key_interval)
        self._per_key[key] = limiter
        while len(self._per_key) > self._max_keys:
            self._per_key.popitem(last=False)
        await limiter.acquire()
        await self._overall.acquire()


class Dispatcher:
    """Send what is due from the outbox; one instance per process, started before use and stopped after."""

    def __init__(
        self,
        outbox: SqlOutbox,
        gateways: Mapping[Channel, Gateway],
        clock: Clock,
        quiet: QuietHours,
        limits: DispatchLimits | None = None,
        owner: str | None = None,
        blocks: ChannelBlocks | None = None,
    ) -> None:
        self.outbox = outbox
        self.blocks: ChannelBlocks = blocks if blocks is not None else SqlChannelBlocks(outbox.engine)
        self.gateways = gateways
        self.clock = clock
        self.quiet = quiet
        self.limits = limits or DispatchLimits()
        self.owner = owner or new_owner()
        self._single = outbox.dialect == "sqlite"
        per_chat = 1.0 / self.limits.telegram_per_chat_per_second
        self._telegram = RateLimiter(self.limits.telegram_per_second, per_chat)
        self._started = False

    def start(self) -> int:
        """Take the SQLite lease (DispatcherBusyError if held) and requeue rows a crash left in sending."""
        if self._single:
            self.outbox.acquire_lease(self.owner, self.limits.lease_ttl)
            # Holding the only lease, every row in sending belongs to a dispatcher that died.
            recovered = self.outbox.requeue_sending()
        else:
            recovered = self.outbox.requeue_sending(older_than=self.limits.stale_after)
        self._started = True
        return recovered

    def stop(self) -> None:
        """Release the lease."""
        if self._single and self._started:
            self.outbox.release_lease(self.owner)
        self._started = False

    async def dispatch_due(self, max_messages: int | None = None) -> DispatchSummary:
        """Send every due message (up to ``max_messages``), batch by batch; only replies in the quiet hours."""
        if not self._started:
            raise RuntimeError("Dispatcher.start() must be called before dispatch_due()")
        summary = DispatchSummary()
        now = self.clock.now()
        # A reply answers a question just asked, so it is not held for the morning like a reminder.
        replies_only = self.quiet.contains(now)
        if replies_only:
            log.info("quiet hours: only replies are sent until %s", self.quiet.next_allowed(now).isoformat())
        summary.cancelled = self.outbox.cancel_opted_out(now)
        if not self._single:
            summary.recovered = self.outbox.requeue_sending(older_than=self.limits.stale_after)
        left = max_messages
        while left is None or left > 0:
            if self._single:
                self.outbox.acquire_lease(self.owner, self.limits.lease_ttl)
            size = self.limits.batch_size if left is None else min(left, self.limits.batch_size)
            batch = self.outbox.claim(self.owner, self.clock.now(), size, replies_only=replies_only)
            if not batch:
                break
            summary.add(await self._send_batch(batch))
            if left is not None:
                left -= len(batch)
        return summary

    async def _send_batch(self, batch: list[Claimed]) -> DispatchSummary:
        summary = DispatchSummary()
        now = self.clock.now()
        sms = [c.address for c in batch if c.channel == "sms"]
        counts = dict(self.outbox.sms_counts(set(sms), now)) if sms else {}
        to_send = []
        for claimed in batch:
            if claimed.channel == "sms":
                hour, day = counts.get(claimed.address, (0, 0))
                # The caps keep unasked-for messages in check; a reply answers a question just asked, so it
                # always goes (and still counts, holding back reminders to someone in a long exchange).
                over_cap = hour >= self.limits.sms_per_number_hour or day >= self.limits.sms_per_number_day
                if over_cap and not claimed.is_reply:
                    over_day = day >= self.limits.sms_per_number_day
                    wait = dt.timedelta(days=1) if over_day else dt.timedelta(hours=1)
                    self.outbox.retry_at(self.owner, claimed.id, now + wait, "rate limited", count=False)
                    summary.deferred += 1
                    continue
                counts[claimed.address] = (hour + 1, day + 1)
            to_send.append(claimed)
        gate = asyncio.Semaphore(self.limits.concurrency)
        refused = self._blocked(to_send)

        async def one(claimed: Claimed) -> None:
            if claimed.id in refused:
                result = SendResult.unreachable(f"{claimed.channel} address blocked: {refused[claimed.id]}")
            else:
                async with gate:
                    result = await self._send(claimed)
            self._record(claimed, result, summary)

        await asyncio.gather(*(one(c) for c in to_send))
        return summary

    def _blocked(self, batch: list[Claimed]) -> dict[int, str]:
        """Rows whose chat address their channel must not send to (unfollowed, blocked the bot)."""
        found: dict[int, str] = {}
        for channel in {c.channel for c in batch if c.channel != "sms"}:
            rows = [c for c in batch if c.channel == channel]
            blocked = self.blocks.blocked(channel, {c.address for c in rows})
            found.update({c.id: "unfollowed or blocked the bot" for c in rows if c.address in blocked})
        return found

    async def _send(self, claimed: Claimed) -> SendResult:
        gateway = self.gateways.get(claimed.channel)  # type: ignore[call-overload]
        if gateway is None and claimed.channel != "sms":
            return SendResult.unreachable(f"channel {claimed.channel!r} is not configured here")
        if gateway is None:
            return SendResult.failed(f"no gateway configured for channel {claimed.channel!r}", retryable=True)
        if claimed.channel == "telegram":
            await self._telegram.wait(claimed.address)
        kinds = tuple(k for k in claimed.kinds.split(",") if k)
        channel: Channel = claimed.channel  # type: ignore[assignment]
        msg = OutboundMessage(
            str(claimed.id), channel, claimed.address, claimed.text, kinds, claimed.trainee_id
        )
        try:
            result: SendResult = await gateway.send(msg)
            return result
        except Exception as exc:  # a gateway bug must not lose the row: count it as a retryable failure
            log.exception("gateway %s raised on message %d", claimed.channel, claimed.id)
            return SendResult.failed(f"gateway error: {type(exc).__name__}", retryable=True)

    def _record(self, claimed: Claimed, result: SendResult, summary: DispatchSummary) -> None:
        now = self.clock.now()
        who = mask_address(claimed.channel, claimed.address)
        if result.ok:
            self.outbox.mark_sent(self.owner, claimed.id, now, result.provider_id)
            summary.sent += 1
            return
        error = result.error or "unknown error"
        if result.fallback and claimed.channel != "sms":
            if result.blocked:
                self.blocks.block(claimed.channel, claimed.address, error, now)
            reroute_to_sms(self.outbox, self.owner, claimed, error, now)
            summary.rerouted += 1
        elif result.retryable and result.retry_after is not None:
            # The provider said when (Telegram's 429): wait that long; throttling is not a failed attempt.
            wait = dt.timedelta(seconds=max(result.retry_after, 1.0))
            self.outbox.retry_at(self.owner, claimed.id, now + wait, error, count=False)
            summary.retried += 1
        elif not result.retryable:
            log.warning("message %d to %s failed for good: %s", claimed.id, who, error)
            self.outbox.mark_failed(self.owner, claimed.id, "failed", error)
            summary.failed += 1
        elif claimed.attempts >= self.limits.max_attempts:
            tries = claimed.attempts
            log.warning("message %d to %s parked after %d attempts: %s", claimed.id, who, tries, error)
            self.outbox.mark_failed(self.owner, claimed.id, "parked", error)
            summary.parked += 1
        else:
            self.outbox.retry_at(self.owner, claimed.id, now + backoff(claimed.attempts, self.limits), error)
            summary.retried += 1
