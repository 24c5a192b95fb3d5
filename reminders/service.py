"""The reminder use cases over the database: plan, enqueue, dispatch, broadcast; set-based queries."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

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
T = TypeVar("T")

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
        for n, row in enumerate(conn.execute(query)):  # by position: a Row's attributes cost more
            if n % 500 == 0:
                time.sleep(0)  # let the event loop's thread in (see _sharing)
            tid, used_keys, chat, openid = row[0], row[-3], row[-2], row[-1]
            records.append(record_from_row(row, post_map.get(tid, ())))
            if used_keys:
                sent[tid] = set(used_keys.split(_SEP))
            if chat:
                telegram[tid] = chat
            if openid:
                wechat[tid] = openid
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
        _sharing(inputs.records),
        campaign,
        now,
        sent=inputs.sent,
        telegram=inputs.telegram,
        wechat=inputs.wechat,
        quiet=quiet,
    )


def _sharing(items: list[T], every: int = 500) -> Iterator[T]:
    """Yield ``items``, letting other threads run every ``every`` of them.

    Planning runs in a worker thread beside the event loop; a pause of zero seconds hands the interpreter
    over at once instead of after its 5 ms switch interval, so requests wait less behind a long plan.
    """
    for start in range(0, len(items), every):
        yield from items[start : start + every]
        time.sleep(0)


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
    valid_for: dt.timedelta | None = None,
) -> tuple[int, int]:
    """Enqueue one staff message to a command-line segment; return (recipients, newly enqueued).

    The same service as the console's composer (``reminders.broadcasts.send_broadcast``). It expires
    ``valid_for`` after its send time (default: at the end of that day).
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
        valid_for=valid_for,
    )


async def dispatch(
    engine: Engine,
    gateways: Mapping[Channel, Gateway],
    clock: Clock,
    quiet: QuietHours,
    limits: DispatchLimits | None = None,
) -> DispatchSummary:
    """Start a dispatcher, send everything due, stop it (giving up the right to dispatch)."""
    dispatcher = Dispatcher(SqlOutbox(engine), gateways, clock, quiet, limits)
    recovered = dispatcher.start()
    try:
        summary = await dispatcher.dispatch_due()
    finally:
        dispatcher.stop()
    summary.recovered += recovered
    return summary
