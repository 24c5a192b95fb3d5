"""Nothing stale goes out: every outbox row expires, and quiet hours are checked for each message as it goes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from bot.kernel.clock import FixedClock
from knowledge.campaign import Campaign
from reminders.dispatcher import Dispatcher, DispatchLimits
from reminders.gateways import Channel, Gateway, MemoryGateway, OutboundMessage, SendResult
from reminders.outbox import OUTBOX, SqlOutbox
from reminders.policy import QuietHours, Segment, plan_broadcast, plan_reminders, reminder_expiry
from reminders.service import dispatch, enqueue_due
from tests.reminders.support import insert_trainees, record, shanghai


def test_a_reminder_is_good_for_its_day_only(campaign: Campaign, quiet: QuietHours) -> None:
    morning = plan_reminders(
        [record(1)], campaign, shanghai("2023-11-24T10:00"), sent={}, telegram={}, quiet=quiet
    )
    assert morning[0].expires_at == shanghai("2023-11-25T00:00")
    # Planned in the quiet hours, it is sent the next morning, and good for that day.
    night = plan_reminders(
        [record(1)], campaign, shanghai("2023-11-24T22:00"), sent={}, telegram={}, quiet=quiet
    )
    assert (night[0].send_at, night[0].expires_at) == (
        shanghai("2023-11-25T08:00"),
        shanghai("2023-11-26T00:00"),
    )


def test_a_reminder_never_outlives_the_campaign(campaign: Campaign, quiet: QuietHours) -> None:
    end = shanghai("2024-01-01T00:00")  # the campaign's last day is 2023-12-31
    assert reminder_expiry(shanghai("2023-12-31T10:00"), campaign, quiet.tz) == end
    assert reminder_expiry(shanghai("2024-01-05T10:00"), campaign, quiet.tz) == end


def test_a_broadcast_expires_at_the_end_of_its_day_or_when_staff_say(
    campaign: Campaign, quiet: QuietHours
) -> None:
    def expiry(valid_for: dt.timedelta | None) -> dt.datetime | None:
        planned = plan_broadcast(
            [record(1)],
            campaign,
            shanghai("2023-11-24T10:00"),
            broadcast_id="b",
            segment=Segment("all"),
            text="请缴费",
            telegram={},
            quiet=quiet,
            valid_for=valid_for,
        )
        return planned[0].expires_at

    assert expiry(None) == shanghai("2023-11-25T00:00")
    assert expiry(dt.timedelta(hours=2)) == shanghai("2023-11-24T12:00")


async def test_a_reminder_queued_before_an_outage_expires_instead_of_going_out_late(
    engine: Engine, campaign: Campaign, quiet: QuietHours
) -> None:
    insert_trainees(engine, [record(1)])
    enqueue_due(engine, campaign, shanghai("2023-12-30T08:30"), quiet)  # "还剩1天"
    gateway = MemoryGateway()
    # The service comes back two days later.
    summary = await dispatch(engine, {"sms": gateway}, FixedClock(shanghai("2024-01-01T09:00")), quiet)
    assert (summary.sent, summary.expired) == (0, 1)
    assert gateway.attempts == []
    assert SqlOutbox(engine).counts() == {"expired": 1}


async def test_a_reply_is_good_for_four_hours(engine: Engine, quiet: QuietHours) -> None:
    outbox = SqlOutbox(engine)
    sent_at = shanghai("2023-11-24T10:00")
    outbox.enqueue_reply("reply:sms:late", "sms", "13800000001", "答复", sent_at)
    outbox.enqueue_reply("reply:sms:ok", "sms", "13800000002", "答复", sent_at + dt.timedelta(hours=1))
    gateway = MemoryGateway()
    summary = await dispatch(engine, {"sms": gateway}, FixedClock(sent_at + dt.timedelta(hours=4)), quiet)
    assert (summary.sent, summary.expired) == (1, 1)
    assert [m.to for m in gateway.sent] == ["13800000002"]


class ClockTurningGateway:
    """Send, and let time pass after the first message, as a slow gateway would."""

    def __init__(self, clock: FixedClock, step: dt.timedelta) -> None:
        self.clock = clock
        self.step = step
        self.sent = MemoryGateway()

    async def send(self, msg: OutboundMessage) -> SendResult:
        result = await self.sent.send(msg)
        if len(self.sent.sent) == 1:
            self.clock.advance(self.step)
        return result


async def test_quiet_hours_and_expiry_are_checked_as_each_message_goes(
    engine: Engine, campaign: Campaign, quiet: QuietHours
) -> None:
    clock = FixedClock(shanghai("2023-11-20T20:59"))
    insert_trainees(engine, [record(1), record(2)])
    outbox = SqlOutbox(engine)
    asked = clock.now() - dt.timedelta(hours=3, minutes=59)  # the replies are good until 21:00
    outbox.enqueue_reply("reply:sms:1", "sms", "13900000001", "答复一", asked)
    enqueue_due(engine, campaign, clock.now(), quiet)
    outbox.enqueue_reply("reply:sms:2", "sms", "13900000002", "答复二", asked)
    # The pass claims all four before 21:00; the first send takes two minutes.
    gateway = ClockTurningGateway(clock, dt.timedelta(minutes=2))
    gateways: dict[Channel, Gateway] = {"sms": gateway}
    dispatcher = Dispatcher(outbox, gateways, clock, quiet, DispatchLimits(concurrency=1))
    dispatcher.start()
    summary = await dispatcher.dispatch_due()
    dispatcher.stop()
    # The first reply went at 20:59; at 21:01 the second reply had expired and the reminders must wait.
    assert [m.text for m in gateway.sent.sent] == ["答复一"]
    assert (summary.sent, summary.deferred, summary.expired) == (1, 2, 1)
    with engine.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.kinds, OUTBOX.c.status, OUTBOX.c.next_attempt_at)).all()
    waiting = {(status, at) for kinds, status, at in rows if kinds != "reply"}
    assert waiting == {("queued", shanghai("2023-11-21T08:00"))}
    # In the morning they are a day old: expired, never sent.
    clock.advance(dt.timedelta(hours=12))
    late = await dispatch(engine, gateways, clock, quiet)
    assert (late.sent, late.expired) == (0, 2)
