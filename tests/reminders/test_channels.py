"""WeChat as a reminder channel, blocked chats, SMS as the fallback and the provider's own retry wait."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, select

from bot.kernel.clock import FixedClock
from knowledge.campaign import Campaign
from ledger.channel_blocks import SqlChannelBlocks
from reminders.dispatcher import Dispatcher
from reminders.gateways import Channel, Gateway, MemoryGateway, OutboundMessage, SendResult
from reminders.outbox import OUTBOX, SqlOutbox
from reminders.passive import record_passive_reply, reply_for
from reminders.policy import QuietHours, Reminder, Segment
from reminders.service import broadcast, plan
from tests.reminders.support import BINDINGS, CREATED, insert_trainees, record


class ScriptedGateway(MemoryGateway):
    """Answers every send with one result, and records what it was asked."""

    def __init__(self, result: SendResult) -> None:
        super().__init__()
        self.result = result

    async def send(self, msg: OutboundMessage) -> SendResult:
        self.attempts.append(msg)
        return self.result


def bind(engine: Engine, channel: str, address: str, trainee_id: int) -> None:
    with engine.begin() as conn:
        row = {"channel": channel, "address": address, "trainee_id": trainee_id, "created_at": CREATED}
        conn.execute(insert(BINDINGS).values(row))


def rows(engine: Engine) -> list[tuple[str, str, str, str, str | None]]:
    query = select(
        OUTBOX.c.idempotency_key, OUTBOX.c.channel, OUTBOX.c.address, OUTBOX.c.status, OUTBOX.c.last_error
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query.order_by(OUTBOX.c.id))]  # type: ignore[misc]


def dispatcher(engine: Engine, clock: FixedClock, quiet: QuietHours, **gateways: Gateway) -> Dispatcher:
    chosen: dict[Channel, Gateway] = dict(gateways)  # type: ignore[arg-type]
    made = Dispatcher(SqlOutbox(engine), chosen, clock, quiet)
    made.start()
    return made


def test_wechat_comes_first_and_a_blocked_chat_does_not_count(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(
        engine, [record(1), record(2), record(3), record(4, phone=None)], telegram={2: "702", 3: "703"}
    )
    bind(engine, "wechat", "oW1", 1)
    bind(engine, "wechat", "oW3", 3)
    bind(engine, "wechat", "oW4", 4)
    blocks = SqlChannelBlocks(engine)
    blocks.block("wechat", "oW3", "unsubscribed", clock.now())
    blocks.block("wechat", "oW4", "unsubscribed", clock.now())
    got = {r.trainee_id: (r.channel, r.address) for r in plan(engine, campaign, clock.now(), quiet)}
    assert got == {1: ("wechat", "oW1"), 2: ("telegram", "702"), 3: ("telegram", "703")}
    planned, _ = broadcast(
        engine, campaign, clock.now(), quiet, broadcast_id="b1", segment=Segment("all"), text="通知"
    )
    assert planned == 3


async def test_a_refused_message_goes_by_sms_once_with_the_outcome_recorded(
    engine: Engine, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1), record(2, phone=None)])
    wechat = ScriptedGateway(SendResult.unreachable("WeChat 43004: 用户未关注公众号", blocked=True))
    sms = MemoryGateway()
    now = clock.now()
    SqlOutbox(engine).enqueue(
        [
            Reminder(1, "学员1", "wechat", "oW1", now, ("deadline",), (), "还剩7天", "reminder:1:d"),
            Reminder(2, "学员2", "wechat", "oW2", now, ("deadline",), (), "还剩7天", "reminder:2:d"),
        ],
        now,
    )
    run = dispatcher(engine, clock, quiet, wechat=wechat, sms=sms)
    summary = await run.dispatch_due()
    assert (summary.rerouted, summary.sent) == (2, 1)
    assert [(m.to, m.text, m.kinds, m.trainee_id) for m in sms.sent] == [
        ("13800000001", "还剩7天", ("deadline",), 1)
    ]
    assert rows(engine) == [
        (
            "reminder:1:d",
            "wechat",
            "oW1",
            "failed",
            "WeChat 43004: 用户未关注公众号; sent by SMS instead (#3)",
        ),
        ("reminder:2:d", "wechat", "oW2", "failed", "WeChat 43004: 用户未关注公众号; no phone for SMS"),
        ("reminder:1:d:sms", "sms", "13800000001", "sent", None),
    ]
    assert run.blocks.blocked("wechat", ["oW1", "oW2"]) == {"oW1", "oW2"}
    assert (await run.dispatch_due()).sent == 0
    run.stop()


async def test_a_channel_without_a_gateway_falls_back_to_sms(
    engine: Engine, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1)])
    bind(engine, "telegram", "71", 1)
    outbox = SqlOutbox(engine)
    assert outbox.enqueue_reply("reply:telegram:9", "telegram", "71", "你好", clock.now())
    sms = MemoryGateway()
    run = dispatcher(engine, clock, quiet, sms=sms)
    assert (await run.dispatch_due()).rerouted == 1
    assert [(m.to, m.kinds) for m in sms.sent] == [("13800000001", ("reply",))]  # the bound trainee's phone
    run.stop()


async def test_the_providers_wait_is_honoured_and_not_counted_as_an_attempt(
    engine: Engine, quiet: QuietHours, clock: FixedClock
) -> None:
    gateway = ScriptedGateway(SendResult.failed("429", retryable=True, retry_after=90))
    SqlOutbox(engine).enqueue_reply("reply:telegram:1", "telegram", "71", "你好", clock.now())
    run = dispatcher(engine, clock, quiet, telegram=gateway)
    for _ in range(3):
        assert (await run.dispatch_due()).retried == 1
        clock.advance(dt.timedelta(seconds=90))
    with engine.connect() as conn:
        row = conn.execute(select(OUTBOX.c.attempts, OUTBOX.c.status)).one()
    assert tuple(row) == (0, "queued") and len(gateway.attempts) == 3
    run.stop()


def test_a_passive_reply_is_kept_like_any_answer(engine: Engine, clock: FixedClock) -> None:
    outbox = SqlOutbox(engine)
    assert record_passive_reply(outbox, "reply:wechat:msg:1", "wechat", "oW1", "答复", clock.now())
    assert not record_passive_reply(outbox, "reply:wechat:msg:1", "wechat", "oW1", "另一个", clock.now())
    assert not outbox.enqueue_reply("reply:wechat:msg:1", "wechat", "oW1", "第三个", clock.now())
    stored = reply_for(outbox, "reply:wechat:msg:1")
    assert stored is not None and (stored.text, stored.passive) == ("答复", True)
    assert outbox.enqueue_reply("reply:wechat:msg:2", "wechat", "oW1", "客服消息", clock.now())
    later = reply_for(outbox, "reply:wechat:msg:2")
    assert later is not None and not later.passive
    assert reply_for(outbox, "reply:wechat:msg:3") is None
    assert outbox.claim("me", clock.now(), 10)[0].text == "客服消息"  # the passive one is never sent again


def test_receipts_are_found_by_our_id_or_the_providers_and_never_undo_delivery(
    engine: Engine, clock: FixedClock
) -> None:
    outbox = SqlOutbox(engine)
    outbox.enqueue_reply("reply:sms:1", "sms", "13800000001", "你好", clock.now())
    [claimed] = outbox.claim("me", clock.now(), 1)
    outbox.mark_sent("me", claimed.id, clock.now(), "2433:300")
    assert outbox.record_provider_receipt("sms", "2433:300", "delivered")
    assert outbox.record_receipt(str(claimed.id), "failed", "late")
    assert not outbox.record_provider_receipt("sms", "2433:999", "failed")
    assert not outbox.record_receipt("x1", "delivered")
    with engine.connect() as conn:
        row = conn.execute(select(OUTBOX.c.receipt, OUTBOX.c.last_error)).one()
    assert tuple(row) == ("delivered", None)
