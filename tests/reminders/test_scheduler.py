"""The scheduler: fixed job ids, Shanghai cron, re-adding never duplicates, sweeps plan and send."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from bot.clock import FixedClock
from knowledge.campaign import Campaign
from reminders.gateways import MemoryGateway
from reminders.policy import QuietHours
from reminders.scheduler import DISPATCH_JOB, PLAN_JOB, ReminderScheduler
from tests.reminders.support import insert_trainees, record


async def test_jobs_are_fixed_and_not_duplicated(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    scheduler = ReminderScheduler(engine, campaign, clock, quiet, {"sms": MemoryGateway()})
    scheduler.start()
    try:
        scheduler.add_jobs()
        scheduler.add_jobs()
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
        assert set(jobs) == {PLAN_JOB, DISPATCH_JOB}
        plan_job = jobs[PLAN_JOB]
        assert isinstance(plan_job.trigger, CronTrigger)
        assert str(plan_job.trigger.timezone) == "Asia/Shanghai"
        assert plan_job.coalesce and plan_job.misfire_grace_time == 3600
        assert plan_job.next_run_time.hour == 8 and plan_job.next_run_time.minute == 30
    finally:
        scheduler.shutdown()


async def test_sweeps_plan_and_send(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1), record(2)])
    gateway = MemoryGateway()
    scheduler = ReminderScheduler(engine, campaign, clock, quiet, {"sms": gateway})
    scheduler.dispatcher.start()
    try:
        assert await scheduler.plan_sweep() == (2, 2)
        assert await scheduler.plan_sweep() == (0, 0)
        assert (await scheduler.dispatch_sweep()).sent == 2
    finally:
        scheduler.shutdown()
    assert len(gateway.sent) == 2
