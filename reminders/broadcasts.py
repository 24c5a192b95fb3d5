"""Staff broadcasts over the database: count and preview a segment, send (now or later), cancel, report.

The console and `jxjy reminders broadcast` both send through ``send_broadcast``. Segments are evaluated
in SQL (``reminders.segments``), mirroring ``reminders.audience``, so 100,000 trainees count in milliseconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, and_, case, false, func, or_, select, true, update

from knowledge.campaign import Campaign
from knowledge.status import HoursRules, TraineeRecord
from ledger.db import dialect_insert
from ledger.store import RECORD_COLUMNS, record_from_row
from reminders.audience import CHANNELS, Audience, render_text, sms_segments
from reminders.broadcast_models import BroadcastRecord
from reminders.models import OutboxMessage
from reminders.outbox import SqlOutbox
from reminders.policy import BROADCAST, PlanError, QuietHours, Reminder, end_of_day
from reminders.segments import POSTS, TRAINEES, Contact, audience_filter
from reminders.templates import SMS_LIMIT

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
BROADCASTS: Table = BroadcastRecord.__table__  # type: ignore[assignment]

# An SMS sent this long ago without a delivery receipt counts as expired.
RECEIPT_WAIT = dt.timedelta(hours=72)
OUTCOMES = ("pending", "sent", "delivered", "failed", "expired", "cancelled")
REPORT_CHANNELS = ("sms", "telegram", "wechat")


@dataclass
class Preview:
    """What a broadcast would do before it is sent."""

    by_channel: dict[str, int]
    unreachable: int
    opted_out: int
    sample: TraineeRecord | None = None
    sample_text: str = ""
    segments: int = 1
    longest: int = 0

    @property
    def recipients(self) -> int:
        return sum(self.by_channel.values())


def preview(engine: Engine, campaign: Campaign, audience: Audience, text: str) -> Preview:
    """Count the recipients per channel and render the text for the first of them."""
    rules = HoursRules.from_campaign(campaign)
    contact = Contact.build()
    channel = contact.channel
    mine = TRAINEES.c.campaign == campaign.campaign.id
    reached, by = TRAINEES.c.opted_out == false(), contact.reached_by()
    # Counted with FILTER in one pass, not grouped by the channel: no sort of 100,000 rows.
    query = (
        select(
            func.count().filter(TRAINEES.c.opted_out == true()),
            func.count().filter(reached, by[None]),
            *(func.count().filter(reached, by[name]) for name in CHANNELS),
        )
        .select_from(contact.from_)
        .where(mine, audience_filter(audience, rules, channel))
    )
    with engine.connect() as conn:
        opted_out, unreachable, *counts = conn.execute(query).one()
        result = Preview(
            by_channel={name: n for name, n in zip(CHANNELS, counts, strict=True) if n},
            unreachable=unreachable,
            opted_out=opted_out,
        )
        first = conn.execute(
            select(*RECORD_COLUMNS)
            .select_from(contact.from_)
            .where(
                mine,
                audience_filter(audience, rules, channel),
                TRAINEES.c.opted_out.is_(False),
                channel.is_not(None),
            )
            .order_by(TRAINEES.c.id)
            .limit(1)
        ).first()
        if first is not None:
            posts = conn.execute(
                select(POSTS.c.post).where(POSTS.c.trainee_id == first.id).order_by(POSTS.c.position)
            ).scalars()
            result.sample = record_from_row(first, tuple(posts))
    if result.sample is not None and text:
        result.sample_text = render_text(text, result.sample, rules)
    shown = result.sample_text or text
    result.longest, result.segments = len(shown), sms_segments(shown)
    return result


def _recipients(
    engine: Engine, audience: Audience, rules: HoursRules, campaign_id: str
) -> list[tuple[TraineeRecord, str, str]]:
    contact = Contact.build()
    channel = contact.channel
    query = (
        select(*RECORD_COLUMNS, channel.label("channel"), contact.address.label("address"))
        .select_from(contact.from_)
        .where(
            TRAINEES.c.campaign == campaign_id,
            audience_filter(audience, rules, channel),
            TRAINEES.c.opted_out.is_(False),
            channel.is_not(None),
        )
        .order_by(TRAINEES.c.id)
    )
    found: list[tuple[TraineeRecord, str, str]] = []
    with engine.connect() as conn:
        for row in conn.execute(query):
            found.append((record_from_row(row, ()), str(row.channel), str(row.address)))
    return found


def send_broadcast(
    engine: Engine,
    campaign: Campaign,
    now: dt.datetime,
    quiet: QuietHours,
    *,
    broadcast_id: str,
    audience: Audience,
    text: str,
    created_by: str,
    send_at: dt.datetime | None = None,
    valid_for: dt.timedelta | None = None,
) -> tuple[int, int]:
    """Queue one staff message for every trainee of ``audience``; return (recipients, newly queued).

    It goes at ``send_at`` (default now), moved past quiet hours; the same ``broadcast_id`` never sends twice.
    It expires ``valid_for`` after that (default: at the end of its day).
    Raise PlanError when the text is empty, a recipient's text exceeds two SMS segments, or the time is past.
    """
    if now.tzinfo is None or (send_at is not None and send_at.tzinfo is None):
        raise PlanError("send_broadcast needs timezone-aware times")
    if not text.strip():
        raise PlanError("群发内容为空")
    if send_at is not None and send_at < now - dt.timedelta(minutes=1):
        raise PlanError(f"发送时间 {send_at:%Y-%m-%d %H:%M} 已过，请选择以后的时间")
    rules = HoursRules.from_campaign(campaign)
    at = quiet.next_allowed(max(now, send_at or now))
    expires_at = at + valid_for if valid_for is not None else end_of_day(at, quiet.tz)
    planned = []
    for record, channel, address in _recipients(engine, audience, rules, campaign.campaign.id):
        body = render_text(text, record, rules)
        if len(body) > SMS_LIMIT:
            raise PlanError(
                f"给 {record.name} 的内容有 {len(body)} 字，超过两条短信（{SMS_LIMIT} 字）的上限，请缩短"
            )
        key = f"broadcast:{broadcast_id}:{record.trainee_id}"
        planned.append(
            Reminder(
                record.trainee_id, record.name, channel, address, at, BROADCAST, (), body, key, expires_at
            )
        )
    row = {
        "id": broadcast_id,
        "text": text,
        "audience": json.dumps(dataclasses.asdict(audience), ensure_ascii=False),
        "description": audience.describe()[:400],
        "send_at": at,
        "recipients": len(planned),
        "created_by": created_by,
        "created_at": now,
    }
    with engine.begin() as conn:
        conn.execute(dialect_insert(engine, BROADCASTS).values(row).on_conflict_do_nothing())
    return len(planned), SqlOutbox(engine).enqueue(planned, now)


def _keys_of(broadcast_id: str) -> ColumnElement[bool]:
    # A key range rather than LIKE, so both backends use the unique index on idempotency_key.
    key = OUTBOX.c.idempotency_key
    return and_(key >= f"broadcast:{broadcast_id}:", key < f"broadcast:{broadcast_id};")


def cancel_broadcast(engine: Engine, broadcast_id: str, by: str, now: dt.datetime) -> int:
    """Cancel every message of the broadcast not yet sent; return how many were cancelled."""
    with engine.begin() as conn:
        cancelled = conn.execute(
            update(OUTBOX)
            .where(_keys_of(broadcast_id), OUTBOX.c.status == "queued")
            .values(status="cancelled", last_error=f"cancelled by {by}")
        ).rowcount
        conn.execute(
            update(BROADCASTS)
            .where(BROADCASTS.c.id == broadcast_id, BROADCASTS.c.cancelled_at.is_(None))
            .values(cancelled_by=by, cancelled_at=now)
        )
    return cancelled


def outcome_filters(now: dt.datetime) -> dict[str, ColumnElement[bool]]:
    """One condition per delivery outcome, mutually exclusive, in the order of ``OUTCOMES``."""
    o = OUTBOX.c
    pending = o.status.in_(("queued", "sending"))
    cancelled = o.status == "cancelled"
    sent = o.status == "sent"
    failed = or_(o.status.in_(("failed", "parked")), and_(sent, o.receipt == "failed"))
    delivered = and_(sent, o.receipt == "delivered")
    waiting = and_(sent, o.receipt.is_(None))
    no_receipt = and_(waiting, o.channel == "sms", o.sent_at < now - RECEIPT_WAIT)
    expired = or_(o.status == "expired", no_receipt)  # not sent in time, or never confirmed
    return {
        "pending": pending,
        "sent": and_(waiting, ~no_receipt),
        "delivered": delivered,
        "failed": failed,
        "expired": expired,
        "cancelled": cancelled,
    }


def outcome_column(now: dt.datetime) -> ColumnElement[str]:
    """The delivery outcome of each outbox row (``outcome_filters`` as one CASE)."""
    return case(*((condition, name) for name, condition in outcome_filters(now).items()), else_="sent")


@dataclass
class DeliveryReport:
    """A broadcast's outcomes per channel, and the failure reasons with their counts."""

    by_channel: dict[str, Counter[str]] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)

    def total(self, outcome: str) -> int:
        return sum(counts[outcome] for counts in self.by_channel.values())


def delivery_report(engine: Engine, broadcast_id: str, now: dt.datetime) -> DeliveryReport:
    """Count the broadcast's messages by channel and outcome: one scan of its key range, no sorting."""
    outcomes = outcome_filters(now)
    with engine.connect() as conn:
        channels = [
            c
            for c in REPORT_CHANNELS
            if conn.execute(
                select(OUTBOX.c.id).where(_keys_of(broadcast_id), OUTBOX.c.channel == c).limit(1)
            ).first()
        ]
        cells = [
            (c, name, and_(OUTBOX.c.channel == c, condition))
            for c in channels
            for name, condition in outcomes.items()
        ]
        counts = (
            conn.execute(
                select(*(func.count().filter(f) for _, _, f in cells)).where(_keys_of(broadcast_id))
            ).one()
            if cells
            else ()
        )
        report = DeliveryReport()
        for (channel, name, _), count in zip(cells, counts, strict=True):
            counter = report.by_channel.setdefault(channel, Counter())
            if count:
                counter[name] = count
        if report.total("failed"):
            reason = func.coalesce(OUTBOX.c.last_error, OUTBOX.c.receipt)
            rows = conn.execute(
                select(reason, func.count())
                .where(_keys_of(broadcast_id), outcomes["failed"])
                .group_by(reason)
            )
            report.reasons.update({str(r or "未知"): n for r, n in rows})
    return report


def delivery_rows(engine: Engine, broadcast_id: str, now: dt.datetime) -> list[dict[str, Any]]:
    """Every recipient of the broadcast with its channel, outcome and reason, for export."""
    query = (
        select(
            TRAINEES.c.name,
            TRAINEES.c.id_masked,
            OUTBOX.c.channel,
            OUTBOX.c.address,
            outcome_column(now).label("outcome"),
            OUTBOX.c.last_error,
            OUTBOX.c.sent_at,
        )
        .join(TRAINEES, TRAINEES.c.id == OUTBOX.c.trainee_id)
        .where(_keys_of(broadcast_id))
        .order_by(OUTBOX.c.id)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def list_broadcasts(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    """The latest broadcasts, newest first."""
    query = select(BROADCASTS).order_by(BROADCASTS.c.created_at.desc(), BROADCASTS.c.id).limit(limit)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def get_broadcast(engine: Engine, broadcast_id: str) -> dict[str, Any] | None:
    """One broadcast's record, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(BROADCASTS).where(BROADCASTS.c.id == broadcast_id)).first()
    return None if row is None else dict(row._mapping)
