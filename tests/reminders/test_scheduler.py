"""The scheduler: fixed job ids, Shanghai cron, re-adding never duplicates, sweeps plan and send."""

from __future__ import annotations

import asyncio

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from bot.kernel.clock import FixedClock
from knowledge.campaign import Campaign
from reminders.gateways import MemoryGateway
from reminders.outbox import SqlOutbox
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


async def test_dispatch_now_sends_a_queued_reply_while_running_only(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    gateway = MemoryGateway()
    scheduler = ReminderScheduler(engine, campaign, clock, quiet, {"sms": gateway})
    outbox = SqlOutbox(engine)
    outbox.enqueue_reply("reply:sms:1", "sms", "13800000001", "答复一", clock.now())
    assert (await scheduler.dispatch_now()).sent == 0  # not started yet: the row waits
    scheduler.start()
    try:
        outbox.enqueue_reply("reply:sms:2", "sms", "13800000002", "答复二", clock.now())
        # Two requests at once share the next pass; each row is sent once.
        first, second = await asyncio.gather(scheduler.dispatch_now(), scheduler.dispatch_now())
        assert first is second and first.sent == 2
        # A row queued while a pass runs goes out in the pass after it.
        running = asyncio.ensure_future(scheduler.dispatch_now())
        await asyncio.sleep(0)
        outbox.enqueue_reply("reply:sms:4", "sms", "13800000004", "答复四", clock.now())
        assert (await running).sent + (await scheduler.dispatch_now()).sent == 1
    finally:
        scheduler.shutdown()
    outbox.enqueue_reply("reply:sms:3", "sms", "13800000003", "答复三", clock.now())
    assert (await scheduler.dispatch_now()).sent == 0  # shut down: left for the next start
    assert sorted(m.text for m in gateway.sent) == ["答复一", "答复二", "答复四"]
