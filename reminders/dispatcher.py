"""The dispatcher: claim due outbox rows, send them through the channel gateways, record what happened.

Crash safety: a row is marked ``sending`` and committed before its gateway is called, and recorded right
after. A crash between the two leaves it in ``sending``; recovery puts it back in the queue, so the only
possible duplicate is a message that was in flight at the crash, at most once per crash. Without a crash
there is none: when the database is busy (SQLite's write lock held by an import) the record is retried
with backoff, never abandoned.

Every statement runs in a worker thread, so the event loop keeps serving HTTP while the database works.
Expiry and quiet hours are checked for each message just before it is sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.kernel.batching import Batcher
from bot.kernel.clock import Clock
from bot.kernel.personal_data import mask_address
from ledger.channel_blocks import ChannelBlocks, SqlChannelBlocks
from reminders.fallback import reroute_to_sms
from reminders.gateways import Channel, Gateway, OutboundMessage, SendResult
from reminders.handoff import Handoff
from reminders.outbox import Claimed, SqlOutbox
from reminders.ownership import DispatchRight
from reminders.pacing import Pacer, RateLimiter, SharedRateLimiter, SqlRateSlots
from reminders.policy import QuietHours

if TYPE_CHECKING:
    from bot.kernel.settings import Settings

T = TypeVar("T")
# A send to record: the row's id, when, the provider's id for it.
Send = tuple[int, dt.datetime, str | None]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchLimits:
    """How the dispatcher paces, retries and gives up; the defaults suit one SMS gateway and one bot."""

    batch_size: int = 200
    concurrency: int = 20
    max_attempts: int = 8
    backoff_base: dt.timedelta = dt.timedelta(minutes=1)
    backoff_cap: dt.timedelta = dt.timedelta(hours=1)
    # How long a send already made is retried into the database before the record is given up.
    record_patience: dt.timedelta = dt.timedelta(hours=1)
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
    expired: int = 0
    rerouted: int = 0  # refused by WeChat or Telegram, queued by SMS instead

    def add(self, other: DispatchSummary) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def backoff(attempts: int, limits: DispatchLimits, rng: Callable[[], float] = random.random) -> dt.timedelta:
    """Exponential backoff with jitter, capped: 1 min, 2, 4, ... up to 1 h, each at 50–100 % of its step."""
    step: dt.timedelta = min(limits.backoff_cap, limits.backoff_base * (2 ** max(0, attempts - 1)))
    return step * (0.5 + 0.5 * rng())


def is_transient(exc: BaseException) -> bool:
    """A database error worth retrying: SQLite busy or locked, a lost or refused PostgreSQL connection."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


HOUSEKEEPING_EVERY = 10.0  # seconds between marking expired and opted-out rows
ORPHANS_EVERY = 1.0  # seconds between looks for rows a dead dispatcher left in sending (PostgreSQL)
_HOUSEKEEPING_SPAN = dt.timedelta(seconds=HOUSEKEEPING_EVERY)


class Dispatcher:
    """Send what is due from the outbox; one instance per process, started before use and stopped after."""

    def __init__(
        self,
        outbox: SqlOutbox,
        gateways: Mapping[Channel, Gateway],
        clock: Clock,
        quiet: QuietHours,
        limits: DispatchLimits | None = None,
        blocks: ChannelBlocks | None = None,
    ) -> None:
        self.outbox = outbox
        self.blocks: ChannelBlocks = blocks if blocks is not None else SqlChannelBlocks(outbox.engine)
        self.gateways = gateways
        self.clock = clock
        self.quiet = quiet
        self.limits = limits or DispatchLimits()
        self.right = DispatchRight(outbox.engine)
        per_chat = 1.0 / self.limits.telegram_per_chat_per_second
        self._telegram: Pacer = (
            RateLimiter(self.limits.telegram_per_second, per_chat)
            if self.right.single
            else SharedRateLimiter(
                SqlRateSlots(outbox.engine), "telegram", self.limits.telegram_per_second, per_chat
            )
        )
        self._started = False
        self._housekept: tuple[float, dt.datetime] | None = None
        self._quiet_until: dt.datetime | None = None  # the end of the quiet hours last logged
        self._orphans_at = -ORPHANS_EVERY  # monotonic time of the last look for orphans
        # Replies the service stored already claimed for this dispatcher (reminders.handoff).
        self.handoff = Handoff()
        # Records a send in the service's group commit, not a transaction of its own (else ``_sent``).
        self.sent_recorder: Callable[[str, Send], Awaitable[object]] | None = None
        # Sends recorded together: one transaction for all that finish while the previous record runs.
        self._sent = Batcher(
            self._record_sent,
            transient=is_transient,
            patience=self.limits.record_patience.total_seconds(),
        )

    @property
    def started(self) -> bool:
        """Whether ``start`` has taken the right to dispatch (and ``stop`` not yet given it up)."""
        return self._started

    @property
    def owner(self) -> str:
        """This dispatcher's name in ``claimed_by``."""
        return self.right.owner

    def start(self) -> int:
        """Take the right to dispatch (DispatcherBusyError on a busy SQLite) and requeue orphaned rows."""
        self.right.take()
        self._started = True
        recovered = self._recover()
        self.handoff.open(self.owner)
        return recovered

    def stop(self) -> None:
        """Give the right to dispatch up."""
        self.handoff.open(None)
        self.right.release()
        self._started = False

    def _recover(self) -> int:
        # SQLite: holding the only right, every row in sending belongs to a dispatcher that died.
        return self.outbox.requeue_sending() if self.right.single else self.outbox.requeue_orphans()

    def _keep_right(self) -> int:
        """Take the right afresh (a new owner) if its database session was lost; return rows recovered.

        Other dispatchers' orphans are looked for at most once every ``ORPHANS_EVERY`` seconds: a pass
        follows each batch of replies, and the look costs more statements than the pass's own.
        """
        if self.right.alive():
            if self.right.single or time.monotonic() - self._orphans_at < ORPHANS_EVERY:
                return 0
            self._orphans_at = time.monotonic()
            return self.outbox.requeue_orphans()
        log.warning("dispatcher %s lost its lock; taking a new one", self.owner)
        self.handoff.open(None)
        self.right.release()
        self.right.take()
        recovered = self._recover()
        self.handoff.open(self.owner)
        return recovered

    async def dispatch_due(self, max_messages: int | None = None, *, claim: bool = True) -> DispatchSummary:
        """Send the replies handed over, then every due message (up to ``max_messages``), batch by batch.

        Only replies in the quiet hours. ``claim=False`` (replies just stored asked for the pass): only
        the replies handed over, unless some were stored queued instead.
        """
        if not self._started:
            raise RuntimeError("Dispatcher.start() must be called before dispatch_due()")
        summary = DispatchSummary()
        now = self.clock.now()
        # SQLite's file lock cannot be lost while the process lives; a PostgreSQL session can.
        summary.recovered = 0 if self.right.single else await asyncio.to_thread(self._keep_right)
        if self._housekeeping_due(now):
            # Claims skip expired rows and opted-out trainees anyway; this marks them, now and then.
            summary.expired = await self._write(self.outbox.expire_due, now)
            summary.cancelled = await self._write(self.outbox.cancel_opted_out, now)
        if self.quiet.contains(now) and (self._quiet_until is None or now >= self._quiet_until):
            # A reply answers a question just asked, so it is not held for the morning like a reminder.
            # Said once a night, not at every pass (a pass follows each batch of replies).
            self._quiet_until = self.quiet.next_allowed(now)
            log.info("quiet hours: only replies are sent until %s", self._quiet_until.isoformat())
        handed, wanted = self.handoff.take(self.owner)
        for start in range(0, len(handed), self.limits.batch_size):
            summary.add(await self._send_batch(handed[start : start + self.limits.batch_size]))
        if not (claim or wanted or summary.rerouted):
            return summary
        left = max_messages
        while left is None or left > 0:
            now = self.clock.now()
            size = self.limits.batch_size if left is None else min(left, self.limits.batch_size)
            replies_only = self.quiet.contains(now)
            batch = await self._write(self.outbox.claim, self.owner, now, size, replies_only=replies_only)
            done = await self._send_batch(batch) if batch else DispatchSummary()
            summary.add(done)
            # Fewer than asked: nothing more was due, unless the batch queued SMS copies of refused messages.
            if len(batch) < size and not done.rerouted:
                break
            if left is not None:
                left -= len(batch)
        return summary

    def _housekeeping_due(self, now: dt.datetime) -> bool:
        """Once every ``HOUSEKEEPING_EVERY`` seconds, of the wall clock or of the business clock."""
        wall = time.monotonic()
        last = self._housekept
        if (
            last is not None
            and wall - last[0] < HOUSEKEEPING_EVERY
            and abs(now - last[1]) < _HOUSEKEEPING_SPAN
        ):
            return False
        self._housekept = (wall, now)
        return True

    async def _send_batch(self, batch: list[Claimed]) -> DispatchSummary:
        summary = DispatchSummary()
        now = self.clock.now()
        # Replies are never held by the caps: counts are needed only when something else goes by SMS.
        capped = any(c.channel == "sms" and not c.is_reply for c in batch)
        sms = {c.address for c in batch if c.channel == "sms"} if capped else set()
        counts = dict(await asyncio.to_thread(self.outbox.sms_counts, sms, now)) if sms else {}
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
                    await self._write(
                        self.outbox.retry_at, self.owner, claimed.id, now + wait, "rate limited", count=False
                    )
                    summary.deferred += 1
                    continue
                counts[claimed.address] = (hour + 1, day + 1)
            to_send.append(claimed)
        gate = asyncio.Semaphore(self.limits.concurrency)
        chats = any(c.channel != "sms" for c in to_send)
        refused = await asyncio.to_thread(self._blocked, to_send) if chats else {}

        async def one(claimed: Claimed) -> None:
            if claimed.id in refused:
                result = SendResult.unreachable(f"{claimed.channel} address blocked: {refused[claimed.id]}")
            else:
                async with gate:
                    if await self._held_back(claimed, summary):
                        return
                    result = await self._send(claimed)
            await self._record(claimed, result, summary)

        await asyncio.gather(*(one(c) for c in to_send))
        return summary

    async def _held_back(self, claimed: Claimed, summary: DispatchSummary) -> bool:
        """Expire a message whose time has passed; put one back that the quiet hours now hold."""
        now = self.clock.now()
        if claimed.expires_at is not None and claimed.expires_at <= now:
            await self._write(
                self.outbox.mark_failed, self.owner, claimed.id, "expired", "expired before sending"
            )
            summary.expired += 1
            return True
        if not claimed.is_reply and self.quiet.contains(now):
            at = self.quiet.next_allowed(now)
            await self._write(self.outbox.retry_at, self.owner, claimed.id, at, "quiet hours", count=False)
            summary.deferred += 1
            return True
        return False

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
        kinds = tuple(k for k in claimed.kinds.split(",") if k)
        channel: Channel = claimed.channel  # type: ignore[assignment]
        msg = OutboundMessage(
            str(claimed.id), channel, claimed.address, claimed.text, kinds, claimed.trainee_id
        )
        try:
            if claimed.channel == "telegram":
                await self._telegram.wait(claimed.address)
            result: SendResult = await gateway.send(msg)
            return result
        except Exception as exc:  # a gateway bug must not lose the row: count it as a retryable failure
            log.exception("gateway %s raised on message %d", claimed.channel, claimed.id)
            return SendResult.failed(f"gateway error: {type(exc).__name__}", retryable=True)

    async def _record(self, claimed: Claimed, result: SendResult, summary: DispatchSummary) -> None:
        now = self.clock.now()
        who = mask_address(claimed.channel, claimed.address)
        if result.ok:
            await self._record_sent_one((claimed.id, now, result.provider_id))
            summary.sent += 1
            return
        error = result.error or "unknown error"
        if result.fallback and claimed.channel != "sms":
            if result.blocked:
                await self._write(self.blocks.block, claimed.channel, claimed.address, error, now)
            await self._write(reroute_to_sms, self.outbox, self.owner, claimed, error, now)
            summary.rerouted += 1
        elif result.retryable and result.retry_after is not None:
            # The provider said when (Telegram's 429): wait that long; throttling is not a failed attempt.
            wait = dt.timedelta(seconds=max(result.retry_after, 1.0))
            await self._write(self.outbox.retry_at, self.owner, claimed.id, now + wait, error, count=False)
            summary.retried += 1
        elif not result.retryable:
            log.warning("message %d to %s failed for good: %s", claimed.id, who, error)
            await self._write(self.outbox.mark_failed, self.owner, claimed.id, "failed", error)
            summary.failed += 1
        elif claimed.attempts >= self.limits.max_attempts:
            tries = claimed.attempts
            log.warning("message %d to %s parked after %d attempts: %s", claimed.id, who, tries, error)
            await self._write(self.outbox.mark_failed, self.owner, claimed.id, "parked", error)
            summary.parked += 1
        else:
            at = now + backoff(claimed.attempts, self.limits)
            await self._write(self.outbox.retry_at, self.owner, claimed.id, at, error)
            summary.retried += 1

    async def _record_sent_one(self, send: Send) -> None:
        if self.sent_recorder is not None:
            try:
                await self.sent_recorder(self.owner, send)
                return
            except Exception as exc:
                log.warning("send %d: group commit failed (%s); recorded on its own", send[0], exc)
        await self._sent.submit(send)

    def _record_sent(self, sends: list[Send]) -> list[None]:
        self.outbox.mark_sent_many(self.owner, sends)
        return [None] * len(sends)

    async def _write(self, statement: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run an outbox statement in a worker thread; while the database is busy, retry with backoff.

        A send that happened must be recorded: left in ``sending``, it would be sent again after a restart.
        """
        patience = self.limits.record_patience.total_seconds()
        started = time.monotonic()
        delay = 0.02
        while True:
            try:
                return await asyncio.to_thread(statement, *args, **kwargs)
            except DBAPIError as exc:
                waited = time.monotonic() - started
                if not is_transient(exc) or waited > patience:
                    raise
                log.warning("outbox busy (%s); retrying in %.2f s", type(exc.orig).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
