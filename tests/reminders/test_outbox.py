"""The outbox and dispatcher on real SQLite and PostgreSQL, with a fixed clock and the in-memory gateway."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, select, update

from bot.kernel.clock import FixedClock
from bot.kernel.settings import Settings
from knowledge.campaign import Campaign
from ledger.db import make_engine
from reminders.dispatcher import Dispatcher, DispatchLimits, RateLimiter, backoff, limits_from_settings
from reminders.gateways import Channel, Gateway, MemoryGateway
from reminders.outbox import OUTBOX, SqlOutbox
from reminders.ownership import DispatcherBusyError
from reminders.policy import QuietHours, Segment
from reminders.service import broadcast, dispatch, enqueue_due, plan
from tests.reminders.support import TRAINEES, insert_trainees, record, shanghai

UNPAID = {"registered": True, "confirmed": True}


def statuses(engine: Engine) -> dict[str, int]:
    return SqlOutbox(engine).counts()


def make_dispatcher(
    engine: Engine, gateway: MemoryGateway, clock: FixedClock, quiet: QuietHours, **limits: int
) -> Dispatcher:
    gateways: dict[Channel, Gateway] = {"sms": gateway, "telegram": gateway}
    return Dispatcher(SqlOutbox(engine), gateways, clock, quiet, DispatchLimits(**limits))  # type: ignore[arg-type]


def test_enqueue_is_idempotent_and_plan_respects_history(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1), record(2, **UNPAID), record(3, opted_out=True)])
    planned = plan(engine, campaign, clock.now(), quiet)
    assert [r.trainee_id for r in planned] == [1, 2]
    assert enqueue_due(engine, campaign, clock.now(), quiet) == (2, 2)
    assert enqueue_due(engine, campaign, clock.now(), quiet) == (0, 0)
    assert SqlOutbox(engine).enqueue(planned, clock.now()) == 0
    assert statuses(engine) == {"queued": 2}
    # Next day, same ISO week: the weekly kinds are used, so nothing new.
    assert plan(engine, campaign, shanghai("2023-11-21T09:00"), quiet) == []
    # Next week they are due again.
    assert len(plan(engine, campaign, shanghai("2023-11-27T09:00"), quiet)) == 2


def test_plan_uses_telegram_when_bound(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1), record(2)], telegram={2: "777"})
    got = {r.trainee_id: (r.channel, r.address) for r in plan(engine, campaign, clock.now(), quiet)}
    assert got == {1: ("sms", "13800000001"), 2: ("telegram", "777")}


async def test_dispatch_sends_each_once(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(i) for i in range(1, 31)])
    enqueue_due(engine, campaign, clock.now(), quiet)
    gateway = MemoryGateway()
    summary = await dispatch(engine, {"sms": gateway}, clock, quiet, DispatchLimits(batch_size=7))
    assert summary.sent == 30
    assert sorted(int(m.id) for m in gateway.sent) == sorted({int(m.id) for m in gateway.sent})
    again = await dispatch(engine, {"sms": gateway}, clock, quiet)
    assert again.sent == 0
    assert statuses(engine) == {"sent": 30}


async def test_retry_with_backoff_then_park(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1), record(2)])
    enqueue_due(engine, campaign, clock.now(), quiet)
    gateway = MemoryGateway()
    gateway.fail_next(1)
    dispatcher = make_dispatcher(engine, gateway, clock, quiet, max_attempts=3)
    dispatcher.start()
    first = await dispatcher.dispatch_due()
    assert (first.sent, first.retried) == (1, 1)
    assert (await dispatcher.dispatch_due()).sent == 0  # backoff not over yet
    clock.advance(dt.timedelta(minutes=2))
    assert (await dispatcher.dispatch_due()).sent == 1
    # Now a message that keeps failing is parked after max_attempts.
    insert_trainees(engine, [record(3)])
    enqueue_due(engine, campaign, clock.now(), quiet)
    gateway.fail_next(100)
    parked = 0
    for _ in range(5):
        parked += (await dispatcher.dispatch_due()).parked
        clock.advance(dt.timedelta(hours=1))
    dispatcher.stop()
    assert parked == 1
    assert statuses(engine) == {"sent": 2, "parked": 1}


async def test_refused_message_fails_for_good(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1)])
    enqueue_due(engine, campaign, clock.now(), quiet)
    gateway = MemoryGateway()
    gateway.fail_next(1, retryable=False)
    summary = await dispatch(engine, {"sms": gateway}, clock, quiet)
    assert summary.failed == 1
    assert statuses(engine) == {"failed": 1}


async def test_opt_out_is_honoured_at_send_time(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1), record(2)])
    enqueue_due(engine, campaign, clock.now(), quiet)
    with engine.begin() as conn:
        conn.execute(update(TRAINEES).where(TRAINEES.c.id == 1).values(opted_out=True))
    gateway = MemoryGateway()
    summary = await dispatch(engine, {"sms": gateway}, clock, quiet)
    assert (summary.sent, summary.cancelled) == (1, 1)
    assert [m.to for m in gateway.sent] == ["13800000002"]


async def test_nothing_is_sent_in_quiet_hours(engine: Engine, campaign: Campaign, quiet: QuietHours) -> None:
    clock = FixedClock(shanghai("2023-11-20T22:00"))
    insert_trainees(engine, [record(1)])
    enqueue_due(engine, campaign, clock.now(), quiet)
    gateway = MemoryGateway()
    assert (await dispatch(engine, {"sms": gateway}, clock, quiet)).sent == 0
    clock.advance(dt.timedelta(hours=9, minutes=59))  # 07:59
    assert (await dispatch(engine, {"sms": gateway}, clock, quiet)).sent == 0
    clock.advance(dt.timedelta(minutes=1))
    assert (await dispatch(engine, {"sms": gateway}, clock, quiet)).sent == 1


async def test_replies_go_out_in_quiet_hours_and_after_an_opt_out(
    engine: Engine, campaign: Campaign, quiet: QuietHours
) -> None:
    clock = FixedClock(shanghai("2023-11-20T22:00"))
    insert_trainees(engine, [record(1), record(2, opted_out=True)])
    enqueue_due(engine, campaign, shanghai("2023-11-20T20:00"), quiet)  # a reminder due before the night
    outbox = SqlOutbox(engine)
    assert outbox.enqueue_reply("reply:sms:a", "sms", "13800000002", "答复", clock.now())
    assert not outbox.enqueue_reply("reply:sms:a", "sms", "13800000002", "答复", clock.now())
    gateway = MemoryGateway()
    summary = await dispatch(engine, {"sms": gateway}, clock, quiet)
    assert (summary.sent, summary.cancelled) == (1, 0)
    assert [(m.to, m.text) for m in gateway.sent] == [("13800000002", "答复")]
    assert statuses(engine) == {"queued": 1, "sent": 1}  # the reminder waits for the morning


async def test_replies_are_not_held_by_the_sms_caps_but_count(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    outbox = SqlOutbox(engine)
    for n in range(3):
        outbox.enqueue_reply(f"reply:sms:{n}", "sms", "13800000001", f"答复{n}", clock.now())
    gateway = MemoryGateway()
    limits = DispatchLimits(sms_per_number_hour=1, sms_per_number_day=2)
    summary = await dispatch(engine, {"sms": gateway}, clock, quiet, limits)
    assert (summary.sent, summary.deferred) == (3, 0)
    assert outbox.sms_counts({"13800000001"}, clock.now())["13800000001"][0] == 3


async def test_sms_rate_limit_per_number(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1)])
    for n in range(3):
        broadcast(
            engine,
            campaign,
            clock.now(),
            quiet,
            broadcast_id=f"b{n}",
            segment=Segment("all"),
            text=f"通知{n}",
        )
    gateway = MemoryGateway()
    limits = DispatchLimits(sms_per_number_hour=2, sms_per_number_day=10)
    summary = await dispatch(engine, {"sms": gateway}, clock, quiet, limits)
    assert (summary.sent, summary.deferred) == (2, 1)
    clock.advance(dt.timedelta(minutes=30))
    assert (await dispatch(engine, {"sms": gateway}, clock, quiet, limits)).sent == 0
    clock.advance(dt.timedelta(minutes=31))
    assert (await dispatch(engine, {"sms": gateway}, clock, quiet, limits)).sent == 1


async def test_broadcast_goes_through_the_outbox_once(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1), record(2, **UNPAID), record(3, **UNPAID, opted_out=True)])
    unpaid = Segment.parse("unpaid")
    assert broadcast(
        engine, campaign, clock.now(), quiet, broadcast_id="fee", segment=unpaid, text="请缴费"
    ) == (1, 1)
    assert broadcast(
        engine, campaign, clock.now(), quiet, broadcast_id="fee", segment=unpaid, text="请缴费"
    ) == (1, 0)
    by_post = Segment.parse("post:安全员")
    assert broadcast(engine, campaign, clock.now(), quiet, broadcast_id="p", segment=by_post, text="x") == (
        2,
        2,
    )
    with engine.connect() as conn:
        keys = set(conn.execute(select(OUTBOX.c.idempotency_key)).scalars())
    assert "broadcast:fee:2" in keys


def test_sqlite_allows_one_dispatcher(
    tmp_path: object, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    from ledger.db import migrate

    engine = make_engine(f"sqlite:///{tmp_path}/one.sqlite3")
    migrate(engine)
    first = make_dispatcher(engine, MemoryGateway(), clock, quiet)
    second = make_dispatcher(engine, MemoryGateway(), clock, quiet)
    first.start()
    with pytest.raises(DispatcherBusyError, match="one dispatcher"):
        second.start()
    first.stop()
    second.start()
    second.stop()
    engine.dispose()


async def test_rows_left_sending_are_requeued_at_start(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1), record(2)])
    enqueue_due(engine, campaign, clock.now(), quiet)
    crashed = SqlOutbox(engine).claim("dead-host:1:x", clock.now(), 10)
    assert len(crashed) == 2
    with engine.begin() as conn:  # as if claimed long ago (PostgreSQL only requeues stale claims)
        conn.execute(update(OUTBOX).values(claimed_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    gateway = MemoryGateway()
    summary = await dispatch(engine, {"sms": gateway}, clock, quiet)
    assert (summary.recovered, summary.sent) == (2, 2)


def test_backoff_grows_and_is_capped() -> None:
    limits = DispatchLimits()
    assert backoff(1, limits, lambda: 1.0) == dt.timedelta(minutes=1)
    assert backoff(3, limits, lambda: 1.0) == dt.timedelta(minutes=4)
    assert backoff(30, limits, lambda: 1.0) == dt.timedelta(hours=1)
    assert backoff(3, limits, lambda: 0.0) == dt.timedelta(minutes=2)


async def test_rate_limiter_spaces_one_chat() -> None:
    limiter = RateLimiter(per_second=1000, per_key_interval=0.05)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(4):
        await limiter.wait("chat")
    await limiter.wait("other")
    assert loop.time() - start >= 0.15


async def test_rate_limiter_forgets_chats_that_may_send_again() -> None:
    limiter = RateLimiter(per_second=100_000, per_key_interval=0.05)
    for chat in range(2000):
        await limiter.wait(f"chat{chat}")
    assert len(limiter) == 2000  # each of them would still wait
    await asyncio.sleep(0.06)
    await limiter.wait("one more")
    assert len(limiter) == 1  # a thousand-chat run keeps only the chats still spaced


@pytest.mark.postgres
def test_two_dispatchers_on_postgres_claim_each_message_once(
    campaign: Campaign, quiet: QuietHours, clock: FixedClock, tmp_path: object
) -> None:
    from tests.conftest import clean_database_url

    url = clean_database_url("postgres", tmp_path)  # type: ignore[arg-type]
    from ledger.db import migrate

    engine = make_engine(url)
    migrate(engine)
    insert_trainees(engine, [record(i) for i in range(1, 2001)])
    enqueue_due(engine, campaign, clock.now(), quiet)
    gateways = [MemoryGateway(), MemoryGateway()]

    def run(gateway: MemoryGateway) -> None:
        own = make_engine(url)
        dispatcher = make_dispatcher(own, gateway, clock, quiet, batch_size=25)
        dispatcher.start()
        asyncio.run(dispatcher.dispatch_due())
        dispatcher.stop()
        own.dispose()

    threads = [threading.Thread(target=run, args=(g,)) for g in gateways]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [m.id for g in gateways for m in g.sent]
    assert len(ids) == 2000 and len(set(ids)) == 2000
    assert all(g.sent for g in gateways), "both dispatchers should have claimed work"
    assert statuses(engine) == {"sent": 2000}
    engine.dispose()


def test_sms_limits_per_number_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = limits_from_settings(Settings())
    assert (defaults.sms_per_number_hour, defaults.sms_per_number_day) == (5, 10)
    monkeypatch.setenv("JXJY_SMS_PER_NUMBER_HOUR", "3")
    monkeypatch.setenv("JXJY_SMS_PER_NUMBER_DAY", "6")
    limits = limits_from_settings(Settings())
    assert (limits.sms_per_number_hour, limits.sms_per_number_day) == (3, 6)
