"""Broadcasts over the database: the SQL segments agree with the pure audience; send, cancel, report."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import Engine, func, insert, select, update

from knowledge.campaign import Campaign
from knowledge.status import HoursRules
from reminders.audience import STAGES, Audience, AudienceError, sms_segments, stage_of
from reminders.broadcasts import (
    OUTBOX,
    cancel_broadcast,
    delivery_report,
    delivery_rows,
    list_broadcasts,
    preview,
    send_broadcast,
)
from reminders.policy import PlanError, QuietHours
from reminders.segments import (
    BINDINGS,
    BLOCKS,
    TRAINEES,
    Contact,
    audience_filter,
    stage_column,
    stage_filters,
)
from tests.reminders.support import insert_trainees, record, shanghai

NOW = shanghai("2023-11-24T10:00:00")


def every_kind() -> list:  # type: ignore[type-arg]
    """A record for every combination of steps, hours on both paths, posts, employers and contacts."""
    records = []
    flags = itertools.product((False, True), repeat=4)
    hours = [(0.0, 0.0), (20.0, 11.5), (20.0, 12.0), (31.5, 0.0), (32.0, 0.0), (19.5, 30.0)]
    for n, ((registered, confirmed, paid, audited), (online, offline)) in enumerate(
        itertools.product(flags, hours), start=1
    ):
        records.append(
            record(
                n,
                registered=registered,
                confirmed=confirmed,
                paid=paid,
                audited=audited,
                online_hours=online,
                offline_hours=offline,
                posts=("安全员",) if n % 3 else ("资料员", "施工员"),
                employer="岳阳建工" if n % 2 else "平江路桥",
                phone=None if n % 7 == 0 else f"138{n:08d}",
                opted_out=n % 11 == 0,
            )
        )
    return records


def test_stage_in_sql_is_the_pure_stage(engine: Engine, campaign: Campaign) -> None:
    records = every_kind()
    insert_trainees(engine, records)
    rules = HoursRules.from_campaign(campaign)
    with engine.connect() as conn:
        got = dict(conn.execute(select(TRAINEES.c.id, stage_column(rules))).all())
    assert got == {r.trainee_id: stage_of(r, rules) for r in records}
    assert set(got.values()) == set(STAGES)
    with engine.connect() as conn:  # the single-scan counts of the dashboard: the same partition
        counts = conn.execute(select(*(func.count().filter(f) for f in stage_filters(rules).values()))).one()
    assert dict(zip(STAGES, counts, strict=True)) == {s: list(got.values()).count(s) for s in STAGES}


AUDIENCES = [
    Audience(),
    Audience(statuses=("unpaid",)),
    Audience(statuses=("not_qualified",)),
    Audience(statuses=("hours_short", "awaiting_audit"), post="安全员"),
    Audience(employer="平江路桥", hours_below=20),
    Audience(channel="telegram"),
    Audience(channel="wechat", statuses=("not_registered",)),
    Audience(channel="sms", statuses=("qualified",)),
    Audience.from_segment("unconfirmed"),
    Audience.from_segment("post", "资料员"),
]


@pytest.mark.parametrize("audience", AUDIENCES, ids=lambda a: a.describe())
def test_audience_in_sql_is_the_pure_audience(engine: Engine, campaign: Campaign, audience: Audience) -> None:
    records = every_kind()
    chats = {r.trainee_id: f"chat{r.trainee_id}" for r in records if r.trainee_id % 5 == 0}
    openids = {r.trainee_id: f"oid{r.trainee_id}" for r in records if r.trainee_id % 4 == 0}
    blocked = {("telegram", "chat10"), ("wechat", "oid20"), ("wechat", "oid8")}
    insert_trainees(engine, records, telegram=chats)
    with engine.begin() as conn:
        conn.execute(
            insert(BINDINGS),
            [
                {"channel": "wechat", "address": a, "trainee_id": t, "created_at": NOW}
                for t, a in openids.items()
            ],
        )
        conn.execute(
            insert(BLOCKS),
            [{"channel": c, "address": a, "reason": "blocked", "since": NOW} for c, a in blocked],
        )
    rules = HoursRules.from_campaign(campaign)
    contact = Contact.build()
    query = select(TRAINEES.c.id).select_from(contact.from_)
    with engine.connect() as conn:
        got = set(conn.execute(query.where(audience_filter(audience, rules, contact.channel))).scalars())

    def channel(r):  # type: ignore[no-untyped-def]
        # reminders.policy._contact over the chats that are not blocked
        if r.trainee_id in openids and ("wechat", openids[r.trainee_id]) not in blocked:
            return "wechat"
        if r.trainee_id in chats and ("telegram", chats[r.trainee_id]) not in blocked:
            return "telegram"
        return "sms" if r.phone else None

    assert got == {r.trainee_id for r in records if audience.matches(r, rules, channel(r))}
    # The preview counts each channel with ``reached_by``: the same trainees as the CASE of ``channel``.
    with engine.connect() as conn:
        for name, condition in contact.reached_by().items():
            case = contact.channel.is_(None) if name is None else contact.channel == name
            by_case, by_condition = (set(conn.execute(query.where(c)).scalars()) for c in (case, condition))
            assert by_condition == by_case == {r.trainee_id for r in records if channel(r) == name}


def test_preview_counts_per_channel_and_renders_a_sample(engine: Engine, campaign: Campaign) -> None:
    insert_trainees(
        engine,
        [
            record(1, name="张三"),
            record(2),
            record(3, phone=None),
            record(4, opted_out=True),
            record(5, registered=True),
        ],
        telegram={2: "chat2"},
    )
    insert_trainees(engine, [record(6)], campaign="yueyang-2022")  # another year's record: not counted
    shown = preview(
        engine, campaign, Audience(statuses=("not_registered",)), "{姓名}您好，还差{还差学时}学时。"
    )
    assert shown.by_channel == {"sms": 1, "telegram": 1}
    assert (shown.recipients, shown.unreachable, shown.opted_out) == (2, 1, 1)
    assert shown.sample is not None and shown.sample.name == "张三"
    assert shown.sample_text == "张三您好，还差32学时。"
    assert shown.segments == 1


def test_sms_segments_follow_ucs2() -> None:
    assert [sms_segments("字" * n) for n in (1, 70, 71, 134, 135)] == [1, 1, 2, 2, 3]


def test_bad_audience_values_are_refused_in_chinese() -> None:
    with pytest.raises(AudienceError, match="未知状态"):
        Audience(statuses=("lazy",))
    with pytest.raises(AudienceError, match="学时低于"):
        Audience(hours_below=0)


def test_send_later_cancel_and_report(engine: Engine, campaign: Campaign, quiet: QuietHours) -> None:
    insert_trainees(engine, [record(n) for n in range(1, 6)], telegram={4: "chat4"})
    later = NOW + dt.timedelta(days=1)
    assert send_broadcast(
        engine, campaign, NOW, quiet, broadcast_id="b1", audience=Audience(), text="明天开会", created_by="王芳",
        send_at=later,
    ) == (5, 5)  # fmt: skip
    with engine.connect() as conn:
        assert set(conn.execute(select(OUTBOX.c.send_at)).scalars()) == {later}
    # Delivery: one delivered, one failed with a reason, one cancelled while pending, one long without receipt.
    key = OUTBOX.c.idempotency_key
    with engine.begin() as conn:
        conn.execute(
            update(OUTBOX)
            .where(key == "broadcast:b1:1")
            .values(status="sent", sent_at=NOW, receipt="delivered")
        )
        conn.execute(update(OUTBOX).where(key == "broadcast:b1:2").values(status="failed", last_error="空号"))
        old = NOW - dt.timedelta(days=4)
        conn.execute(update(OUTBOX).where(key == "broadcast:b1:4").values(status="sent", sent_at=old))
        conn.execute(update(OUTBOX).where(key == "broadcast:b1:5").values(status="expired"))
    assert cancel_broadcast(engine, "b1", "王芳", NOW) == 1
    report = delivery_report(engine, "b1", NOW)
    assert dict(report.by_channel["sms"]) == {"delivered": 1, "failed": 1, "cancelled": 1, "expired": 1}
    assert dict(report.by_channel["telegram"]) == {"sent": 1}  # no receipts on Telegram: never "expired"
    assert report.reasons == {"空号": 1}
    assert [row["outcome"] for row in delivery_rows(engine, "b1", NOW)] == [
        "delivered",
        "failed",
        "cancelled",
        "sent",
        "expired",
    ]
    [listed] = list_broadcasts(engine)
    assert (listed["recipients"], listed["cancelled_by"], listed["description"]) == (5, "王芳", "全部学员")


def test_send_refuses_past_times_and_long_texts(
    engine: Engine, campaign: Campaign, quiet: QuietHours
) -> None:
    insert_trainees(engine, [record(1, name="欧阳一二三四五六")])
    with pytest.raises(PlanError, match="已过"):
        send_broadcast(
            engine, campaign, NOW, quiet, broadcast_id="x", audience=Audience(), text="hi", created_by="a",
            send_at=NOW - dt.timedelta(hours=1),
        )  # fmt: skip
    with pytest.raises(PlanError, match="超过两条短信"):
        send_broadcast(
            engine, campaign, NOW, quiet, broadcast_id="y", audience=Audience(), text="{姓名}" + "字" * 127,
            created_by="a",
        )  # fmt: skip
    assert list_broadcasts(engine) == []
