"""APScheduler 3 triggers the reminder sweeps; the database outbox, not the scheduler, is the source of truth.

The job store is the in-memory one on purpose: a job here is only "sweep now", and every sweep derives what to
do from the outbox and the used keys. A restart therefore loses nothing: the next sweep finds what is due.

With several instances on one database every instance runs both sweeps: the plan sweep takes the ``plan``
lock, so one instance plans while the others skip (and enqueueing is idempotent anyway); on PostgreSQL every
instance dispatches (claims skip each other's rows), on SQLite the one holding the ``dispatch`` lock does,
and the others try again at each sweep. Planning runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.kernel.clock import Clock
from knowledge.campaign import Campaign
from ledger.locks import named_lock
from reminders.dispatcher import Dispatcher, DispatchLimits, DispatchSummary
from reminders.gateways import Channel, Gateway
from reminders.outbox import SqlOutbox
from reminders.ownership import DispatcherBusyError
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
        self._next_pass: asyncio.Future[DispatchSummary] | None = None
        self._passes: asyncio.Task[None] | None = None
        self._next_claims = False  # whether a caller of the next pass wants the table claimed too
        # AsyncIOScheduler.shutdown takes effect on a later loop iteration; this flag drops at once.
        self._running = False
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
        """Take the right to dispatch (recovering rows a crash left in sending) and start the sweeps.

        On a SQLite database another process dispatches from, this one serves without dispatching and
        tries again at each sweep. Must be called with a running asyncio loop (AsyncIOScheduler's requirement).
        """
        self._try_start_dispatcher()
        self.add_jobs()
        self.scheduler.start()
        self._running = True

    def shutdown(self) -> None:
        """Stop the sweeps and give the right to dispatch up."""
        self._running = False
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._passes is not None:
            self._passes.cancel()
            self._passes = None
        if self._next_pass is not None and not self._next_pass.done():
            self._next_pass.set_result(DispatchSummary())
        self._next_pass = None
        self.dispatcher.stop()

    def _try_start_dispatcher(self) -> bool:
        if self.dispatcher.started:
            return True
        try:
            recovered = self.dispatcher.start()
        except DispatcherBusyError as exc:
            log.warning("not dispatching for now: %s", exc)
            return False
        log.info("dispatching as %s (%d message(s) recovered)", self.dispatcher.owner, recovered)
        return True

    async def plan_sweep(self) -> tuple[int, int]:
        """Plan at the clock's now and enqueue, unless another instance is planning; return (planned, new)."""
        now: dt.datetime = self.clock.now()
        # With a campaign per year, the campaign of the moment (a long-running service crosses years).
        campaign = self.campaign if isinstance(self.campaign, Campaign) else self.campaign(now)
        try:
            return await asyncio.to_thread(self._plan_once, campaign, now)
        except Exception:
            log.exception("reminder plan sweep failed; the next sweep retries")
            return 0, 0

    def _plan_once(self, campaign: Campaign, now: dt.datetime) -> tuple[int, int]:
        lock = named_lock(self.engine, "plan")
        if not lock.try_acquire():
            log.info("another instance is planning reminders; this one skips the sweep")
            return 0, 0
        # A plan is hundreds of thousands of small objects, none in a cycle; a full collection over them
        # would hold every thread, the event loop's too, for a third of a second.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return enqueue_due(self.engine, campaign, now, self.quiet)
        finally:
            if collecting:
                gc.enable()
            lock.release()

    async def dispatch_sweep(self, claim: bool = True) -> DispatchSummary:
        """Send what is due (``claim=False``: the replies handed to the dispatcher, see ``dispatch_due``)."""
        async with self._dispatching:
            try:
                if not self._running:
                    return await self._dispatch_if_started()
                started = self.dispatcher.started or await asyncio.to_thread(self._try_start_dispatcher)
                if not started:
                    return DispatchSummary()
                return await self.dispatcher.dispatch_due(claim=claim)
            except Exception:
                log.exception("reminder dispatch sweep failed; the next sweep retries")
                return DispatchSummary()

    async def _dispatch_if_started(self) -> DispatchSummary:
        # Outside start/shutdown (tests, one-off runs) the dispatcher is started by its owner, or not at all.
        if not self.dispatcher.started:
            return DispatchSummary()
        return await self.dispatcher.dispatch_due()

    async def dispatch_now(self, claim: bool = True) -> DispatchSummary:
        """Sweep soon, between the minute sweeps (a reply was just queued); nothing once shut down.

        Callers that arrive together share one pass: the next one to start after the call, so a row
        committed before the call is in it. Return that pass's summary. ``claim=False``: the caller only
        stored replies handed to the dispatcher, so the pass need not claim from the table for it.
        """
        if not self._running:
            log.info("dispatcher not running: queued messages go out after the next start")
            return DispatchSummary()
        if self._next_pass is None:
            self._next_pass = asyncio.get_running_loop().create_future()
        self._next_claims = self._next_claims or claim
        if self._passes is None or self._passes.done():
            self._passes = asyncio.create_task(self._run_passes())
        return await asyncio.shield(self._next_pass)

    async def _run_passes(self) -> None:
        while self._next_pass is not None:
            waiting, self._next_pass = self._next_pass, None
            claim, self._next_claims = self._next_claims, False
            summary = await self.dispatch_sweep(claim)
            if not waiting.done():
                waiting.set_result(summary)
