"""The reminder use cases over the database: plan, enqueue, dispatch, broadcast; set-based queries."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, func, select

from bot.kernel.clock import Clock
from knowledge.campaign import Campaign
from knowledge.status import TraineeRecord
from ledger.models import FIRST_CAMPAIGN, Binding, Trainee, TraineePost
from ledger.store import RECORD_COLUMNS, record_from_row
from reminders.dispatcher import Dispatcher, DispatchLimits, DispatchSummary
from reminders.gateways import Channel, Gateway
from reminders.models import ReminderKey
from reminders.outbox import SqlOutbox
from reminders.policy import QuietHours, Reminder, Segment, candidate_keys, plan_broadcast, plan_reminders

log = logging.getLogger(__name__)
T = TypeVar("T")

TRAINEES: Table = Trainee.__table__  # type: ignore[assignment]
POSTS: Table = TraineePost.__table__  # type: ignore[assignment]
BINDINGS: Table = Binding.__table__  # type: ignore[assignment]
KEYS: Table = ReminderKey.__table__  # type: ignore[assignment]

_SEP = "\x1f"  # joins aggregated keys and posts; appears in neither


@dataclass(frozen=True)
class PlanInputs:
    """Everything the pure policy needs from the database."""

    records: list[TraineeRecord]
    telegram: dict[int, str]
    sent: dict[int, set[str]]


def load_plan_inputs(
    engine: Engine, keys: tuple[str, ...], *, posts: bool = False, campaign: str = FIRST_CAMPAIGN
) -> PlanInputs:
    """Load every trainee of ``campaign`` with their used keys (among ``keys``) and Telegram chat in one query."""
    used = (
        select(KEYS.c.trainee_id, func.aggregate_strings(KEYS.c.key, _SEP).label("used_keys"))
        .where(KEYS.c.key.in_(keys))
        .group_by(KEYS.c.trainee_id)
        .subquery()
    )
    chats = (
        select(BINDINGS.c.trainee_id, func.max(BINDINGS.c.address).label("chat"))
        .where(BINDINGS.c.channel == "telegram")
        .group_by(BINDINGS.c.trainee_id)
        .subquery()
    )
    columns: list[Any] = [*RECORD_COLUMNS, used.c.used_keys, chats.c.chat]
    query = (
        select(*columns)
        .outerjoin(used, used.c.trainee_id == TRAINEES.c.id)
        .outerjoin(chats, chats.c.trainee_id == TRAINEES.c.id)
        .where(TRAINEES.c.campaign == campaign)
        .order_by(TRAINEES.c.id)
    )
    records, telegram, sent = [], {}, {}
    with engine.connect() as conn:
        post_map = _posts(conn) if posts else {}
        for n, row in enumerate(conn.execute(query)):  # by position: a Row's attributes cost more
            if n % 500 == 0:
                time.sleep(0)  # let the event loop's thread in (see _sharing)
            tid, used_keys, chat = row[0], row[-2], row[-1]
            records.append(record_from_row(row, post_map.get(tid, ())))
            if used_keys:
                sent[tid] = set(used_keys.split(_SEP))
            if chat:
                telegram[tid] = chat
    return PlanInputs(records, telegram, sent)


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
        _sharing(inputs.records), campaign, now, sent=inputs.sent, telegram=inputs.telegram, quiet=quiet
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
    valid_for: dt.timedelta | None = None,
) -> tuple[int, int]:
    """Enqueue one staff message to a segment; return (recipients, newly enqueued).

    It expires ``valid_for`` after its send time (default: at the end of that day).
    """
    inputs = load_plan_inputs(engine, (), posts=segment.name == "post", campaign=campaign.campaign.id)
    planned = plan_broadcast(
        inputs.records,
        campaign,
        now,
        broadcast_id=broadcast_id,
        segment=segment,
        text=text,
        telegram=inputs.telegram,
        quiet=quiet,
        valid_for=valid_for,
    )
    return len(planned), SqlOutbox(engine).enqueue(planned, now)


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
