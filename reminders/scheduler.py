"""APScheduler 3 triggers the reminder sweeps; the database outbox, not the scheduler, is the source of truth.

The job store is the in-memory one on purpose: a job here is only "sweep now", and every sweep derives what to
do from the outbox and the used keys. A restart therefore loses nothing: the next sweep finds what is due.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.kernel.clock import Clock
from knowledge.campaign import Campaign
from reminders.dispatcher import Dispatcher, DispatchLimits, DispatchSummary
from reminders.gateways import Channel, Gateway
from reminders.outbox import SqlOutbox
from reminders.policy import QuietHours
from reminders.service import enqueue_due

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy import Engine

log = logging.getLogger(__name__)

PLAN_JOB = "reminders.plan"
DISPATCH_JOB = "reminders.dispatch"


class ReminderScheduler:
    """Run the daily plan sweep (08:30 Asia/Shanghai) and the dispatch sweep (every minute)."""

    def __init__(
        self,
        engine: Engine,
        campaign: Campaign | Callable[[dt.datetime], Campaign],
        clock: Clock,
        quiet: QuietHours,
        gateways: Mapping[Channel, Gateway],
        limits: DispatchLimits | None = None,
        *,
        plan_hour: int = 8,
        plan_minute: int = 30,
        dispatch_seconds: int = 60,
    ) -> None:
        self.engine = engine
        self.campaign = campaign
        self.clock = clock
        self.quiet = quiet
        self.dispatcher = Dispatcher(SqlOutbox(engine), gateways, clock, quiet, limits)
        # The minute sweep and dispatch_now share one dispatcher: one pass at a time, never two at once.
        self._dispatching = asyncio.Lock()
        self.scheduler = AsyncIOScheduler(timezone=clock.tz)
        self._plan_trigger = CronTrigger(hour=plan_hour, minute=plan_minute, timezone=clock.tz)
        self._dispatch_trigger = IntervalTrigger(seconds=dispatch_seconds, timezone=clock.tz)

    def add_jobs(self) -> None:
        """Register both sweeps under fixed ids; calling again replaces them instead of adding duplicates."""
        # A plan sweep missed by up to an hour (a restart, a busy loop) still runs; older misses are
        # skipped, as the next day's sweep plans afresh. Coalesce: several missed runs become one.
        self.scheduler.add_job(
            self.plan_sweep,
            self._plan_trigger,
            id=PLAN_JOB,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=3600,
            max_instances=1,
        )
        # Dispatch is cheap and idempotent: a late run is always worth doing once, never twice at a time.
        self.scheduler.add_job(
            self.dispatch_sweep,
            self._dispatch_trigger,
            id=DISPATCH_JOB,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
        )

    def start(self) -> None:
        """Take the dispatcher lease (recovering rows a crash left in sending) and start the sweeps.

        Must be called with a running asyncio loop (AsyncIOScheduler's requirement).
        """
        self.dispatcher.start()
        self.add_jobs()
        self.scheduler.start()

    def shutdown(self) -> None:
        """Stop the sweeps and release the dispatcher lease."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.dispatcher.stop()

    async def plan_sweep(self) -> tuple[int, int]:
        """Plan at the clock's now and enqueue; return (planned, newly enqueued)."""
        now: dt.datetime = self.clock.now()
        # With a campaign per year, the campaign of the moment (a long-running service crosses years).
        campaign = self.campaign if isinstance(self.campaign, Campaign) else self.campaign(now)
        try:
            return enqueue_due(self.engine, campaign, now, self.quiet)
        except Exception:
            log.exception("reminder plan sweep failed; the next sweep retries")
            return 0, 0

    async def dispatch_sweep(self) -> DispatchSummary:
        """Send what is due."""
        async with self._dispatching:
            try:
                return await self.dispatcher.dispatch_due()
            except Exception:
                log.exception("reminder dispatch sweep failed; the next sweep retries")
                return DispatchSummary()

    async def dispatch_now(self) -> DispatchSummary:
        """Sweep now, between the minute sweeps (a reply was just queued); nothing once shut down.

        A pass already running may have claimed before the new row was committed, so this waits for it
        and then runs its own instead of being skipped.
        """
        if not self.scheduler.running:
            log.info("dispatcher not running: queued messages go out after the next start")
            return DispatchSummary()
        return await self.dispatch_sweep()
