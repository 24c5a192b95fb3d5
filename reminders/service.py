"""The reminder use cases over the database: plan, enqueue, dispatch, broadcast; set-based queries."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, func, select

from bot.kernel.clock import Clock
from knowledge.campaign import Campaign
from knowledge.status import TraineeRecord
from ledger.channel_models import ChannelBlock
from ledger.models import FIRST_CAMPAIGN, Binding, Trainee, TraineePost
from ledger.store import RECORD_COLUMNS, record_from_row
from reminders.dispatcher import Dispatcher, DispatchLimits, DispatchSummary
from reminders.gateways import Channel, Gateway
from reminders.models import ReminderKey
from reminders.outbox import SqlOutbox
from reminders.policy import QuietHours, Reminder, Segment, candidate_keys, plan_reminders

log = logging.getLogger(__name__)

TRAINEES: Table = Trainee.__table__  # type: ignore[assignment]
POSTS: Table = TraineePost.__table__  # type: ignore[assignment]
BINDINGS: Table = Binding.__table__  # type: ignore[assignment]
KEYS: Table = ReminderKey.__table__  # type: ignore[assignment]
BLOCKS: Table = ChannelBlock.__table__  # type: ignore[assignment]

_SEP = "\x1f"  # joins aggregated keys and posts; appears in neither


@dataclass(frozen=True)
class PlanInputs:
    """Everything the pure policy needs from the database."""

    records: list[TraineeRecord]
    telegram: dict[int, str]
    sent: dict[int, set[str]]
    wechat: dict[int, str] = field(default_factory=dict)


def load_plan_inputs(
    engine: Engine, keys: tuple[str, ...], *, posts: bool = False, campaign: str = FIRST_CAMPAIGN
) -> PlanInputs:
    """Load every trainee of ``campaign`` with their used keys (among ``keys``), Telegram chat and WeChat
    OpenID in one query.

    A chat its channel must not send to (unfollowed, blocked the bot) does not count: reminders go by SMS.
    """
    used = (
        select(KEYS.c.trainee_id, func.aggregate_strings(KEYS.c.key, _SEP).label("used_keys"))
        .where(KEYS.c.key.in_(keys))
        .group_by(KEYS.c.trainee_id)
        .subquery()
    )
    chats, openids = _chats("telegram"), _chats("wechat")
    columns: list[Any] = [*RECORD_COLUMNS, used.c.used_keys, chats.c.chat, openids.c.chat.label("openid")]
    query = (
        select(*columns)
        .outerjoin(used, used.c.trainee_id == TRAINEES.c.id)
        .outerjoin(chats, chats.c.trainee_id == TRAINEES.c.id)
        .outerjoin(openids, openids.c.trainee_id == TRAINEES.c.id)
        .where(TRAINEES.c.campaign == campaign)
        .order_by(TRAINEES.c.id)
    )
    records, telegram, sent, wechat = [], {}, {}, {}
    with engine.connect() as conn:
        post_map = _posts(conn) if posts else {}
        for row in conn.execute(query):
            tid = row.id
            records.append(record_from_row(row, post_map.get(tid, ())))
            if row.used_keys:
                sent[tid] = set(row.used_keys.split(_SEP))
            if row.chat:
                telegram[tid] = row.chat
            if row.openid:
                wechat[tid] = row.openid
    return PlanInputs(records, telegram, sent, wechat)


def _chats(channel: str) -> Any:
    """Each trainee's chat address on ``channel`` that is not blocked, as a subquery (trainee_id, chat)."""
    blocked = (
        select(BLOCKS.c.address)
        .where(BLOCKS.c.channel == channel, BLOCKS.c.address == BINDINGS.c.address)
        .exists()
    )
    return (
        select(BINDINGS.c.trainee_id, func.max(BINDINGS.c.address).label("chat"))
        .where(BINDINGS.c.channel == channel, ~blocked)
        .group_by(BINDINGS.c.trainee_id)
        .subquery()
    )


def _posts(conn: object) -> dict[int, tuple[str, ...]]:
    query = select(POSTS.c.trainee_id, POSTS.c.post).order_by(POSTS.c.trainee_id, POSTS.c.position)
    posts: dict[int, list[str]] = {}
    for tid, post in conn.execute(query):  # type: ignore[attr-defined]
        posts.setdefault(tid, []).append(post)
    return {tid: tuple(p) for tid, p in posts.items()}


def plan(engine: Engine, campaign: Campaign, now: dt.datetime, quiet: QuietHours) -> list[Reminder]:
    """The reminders a run at ``now`` would enqueue."""
    inputs = load_plan_inputs(engine, candidate_keys(campaign, now, quiet), campaign=campaign.campaign.id)
    return plan_reminders(
        inputs.records,
        campaign,
        now,
        sent=inputs.sent,
        telegram=inputs.telegram,
        wechat=inputs.wechat,
        quiet=quiet,
    )


def enqueue_due(engine: Engine, campaign: Campaign, now: dt.datetime, quiet: QuietHours) -> tuple[int, int]:
    """Plan at ``now`` and enqueue; return (planned, newly enqueued)."""
    planned = plan(engine, campaign, now, quiet)
    enqueued = SqlOutbox(engine).enqueue(planned, now)
    log.info("planned %d reminder(s), %d new in the outbox", len(planned), enqueued)
    return len(planned), enqueued


def broadcast(
    engine: Engine,
    campaign: Campaign,
    now: dt.datetime,
    quiet: QuietHours,
    *,
    broadcast_id: str,
    segment: Segment,
    text: str,
    created_by: str = "cli",
) -> tuple[int, int]:
    """Enqueue one staff message to a command-line segment; return (recipients, newly enqueued).

    The same service as the console's composer (``reminders.broadcasts.send_broadcast``).
    """
    from reminders.audience import Audience
    from reminders.broadcasts import send_broadcast

    return send_broadcast(
        engine,
        campaign,
        now,
        quiet,
        broadcast_id=broadcast_id,
        audience=Audience.from_segment(segment.name, segment.value),
        text=text,
        created_by=created_by,
    )


async def dispatch(
    engine: Engine,
    gateways: Mapping[Channel, Gateway],
    clock: Clock,
    quiet: QuietHours,
    limits: DispatchLimits | None = None,
) -> DispatchSummary:
    """Start a dispatcher, send everything due, stop it (releasing the SQLite lease)."""
    dispatcher = Dispatcher(SqlOutbox(engine), gateways, clock, quiet, limits)
    recovered = dispatcher.start()
    try:
        summary = await dispatcher.dispatch_due()
    finally:
        dispatcher.stop()
    summary.recovered += recovered
    return summary
