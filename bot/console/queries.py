"""The console's reads, aggregated and paginated in SQL so pages stay fast with 100,000 trainees."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select, tuple_

from bot.console.summary import LedgerSummary
from bot.kernel.personal_data import ID_NUMBER_IN_TEXT, mask_id, normalize_id
from knowledge import calendar
from knowledge.campaign import Campaign
from knowledge.status import HoursRules, TraineeRecord
from ledger.store import (
    BINDINGS,
    CONVERSATIONS,
    MESSAGES,
    POSTS,
    RECORD_COLUMNS,
    TRAINEES,
    UNANSWERED_INTENTS,
    record_from_row,
)
from reminders.audience import STAGES
from reminders.broadcasts import OUTBOX, RECEIPT_WAIT
from reminders.segments import stage_column, stage_filters
from reminders.service import KEYS

PER_PAGE = 50
_NUMBERISH = re.compile(r"[0-9Xx*]+")


@dataclass(frozen=True)
class TraineeFilter:
    """The trainee list's search: free text (name, phone, employer, masked ID), post, employer, stage.

    A full ID number typed into the search is looked up by its keyed hash and shown back masked.
    """

    q: str = ""
    post: str = ""
    employer: str = ""
    status: str = ""
    id_hash: str = ""

    @classmethod
    def from_query(cls, query: Any, lookup_hash: Callable[[str], str] | None = None) -> TraineeFilter:
        def get(key: str) -> str:
            return str(query.get(key, "")).strip()[:100]

        status = get("status")
        q, id_hash = get("q"), ""
        if lookup_hash is not None and ID_NUMBER_IN_TEXT.fullmatch(q):
            q, id_hash = mask_id(q), lookup_hash(normalize_id(q))
        return cls(q, get("post"), get("employer"), status if status in STAGES else "", id_hash)

    def where(self, rules: HoursRules, campaign_id: str) -> ColumnElement[bool]:
        t = TRAINEES.c
        conditions: list[ColumnElement[bool]] = [t.campaign == campaign_id]
        if self.id_hash:
            conditions.append(t.id_hash == self.id_hash)
        elif self.q:
            like = "%" + re.sub(r"([\\%_])", r"\\\1", self.q) + "%"
            # Digits (and X, *) can only be part of a phone or masked ID number, other text of a name; an
            # employer may hold either. Matching fewer columns is less work for every row scanned.
            columns = [t.phone, t.id_masked] if _NUMBERISH.fullmatch(self.q) else [t.name]
            columns.append(t.employer)
            conditions.append(or_(*(column.like(like, escape="\\") for column in columns)))
        if self.post:
            conditions.append(
                POSTS.select().where(POSTS.c.trainee_id == t.id, POSTS.c.post == self.post).exists()
            )
        if self.employer:
            conditions.append(t.employer == self.employer)
        if self.status:
            conditions.append(stage_filters(rules)[self.status])
        return and_(*conditions)

    @property
    def by_stage_only(self) -> bool:
        """Everyone, or one stage: the ledger's summary already counts them."""
        return not (self.q or self.id_hash or self.post or self.employer)

    def total_in(self, summary: LedgerSummary) -> int:
        """The number of trainees matching a filter ``by_stage_only``, read from the ledger's summary."""
        return summary.stages[self.status] if self.status else summary.total

    def as_query(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("q", self.q),
                ("post", self.post),
                ("employer", self.employer),
                ("status", self.status),
            )
            if v
        }


@dataclass
class Dashboard:
    """Everything the dashboard shows."""

    total: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    hours: list[tuple[str, int]] = field(default_factory=list)
    opted_out: int = 0
    bound: int = 0
    outbox: dict[str, int] = field(default_factory=dict)
    unanswered_week: int = 0
    elapsed: float = 0.0
    days_left: int = 0
    next_window: str = ""
    days_to_window: int | None = None


def _posts_of(conn: Any, ids: list[int]) -> dict[int, tuple[str, ...]]:
    posts: dict[int, list[str]] = {}
    if ids:
        query = (
            select(POSTS.c.trainee_id, POSTS.c.post)
            .where(POSTS.c.trainee_id.in_(ids))
            .order_by(POSTS.c.position)
        )
        for tid, post in conn.execute(query):
            posts.setdefault(tid, []).append(post)
    return {tid: tuple(p) for tid, p in posts.items()}


def outbox_glance(engine: Engine, campaign: Campaign, now: dt.datetime) -> dict[str, int]:
    """The outbox at a glance: queued, sent today, failed, parked, expired (one scan of a narrow index)."""
    midnight = now.astimezone(campaign.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    o = OUTBOX.c
    expired = or_(
        o.status == "expired",
        and_(o.status == "sent", o.channel == "sms", o.receipt.is_(None), o.sent_at < now - RECEIPT_WAIT),
    )
    query = select(
        func.count().filter(o.status.in_(("queued", "sending"))),
        func.count().filter(o.status == "sent", o.sent_at >= midnight),
        func.count().filter(or_(o.status == "failed", o.receipt == "failed")),
        func.count().filter(o.status == "parked"),
        func.count().filter(expired),
    )
    with engine.connect() as conn:
        row = conn.execute(query).one()
    return dict(zip(("queued", "sent_today", "failed", "parked", "expired"), row, strict=True))


def dashboard(
    engine: Engine, campaign: Campaign, now: dt.datetime, summary: LedgerSummary, outbox: dict[str, int]
) -> Dashboard:
    """The ledger's ``summary`` and the ``outbox`` at a glance, with bindings, recent unanswered
    questions and the campaign calendar."""
    board = Dashboard(summary.total, summary.stages, summary.hours, summary.opted_out, outbox=outbox)
    today = now.astimezone(campaign.tz)
    with engine.connect() as conn:
        board.bound = conn.execute(select(func.count(func.distinct(BINDINGS.c.trainee_id)))).scalar_one()
        board.unanswered_week = conn.execute(
            select(func.count()).where(
                MESSAGES.c.intent.in_(UNANSWERED_INTENTS),
                MESSAGES.c.direction == "in",
                MESSAGES.c.at >= now - dt.timedelta(days=7),
            )
        ).scalar_one()
    period = campaign.facts.period
    span = max(1, (period.end - period.start).days)
    board.elapsed = min(1.0, max(0.0, (today.date() - period.start).days / span))
    board.days_left = calendar.days_left(campaign, today.date())
    window = calendar.next_window(campaign, today.date())
    if window is not None:
        board.next_window = calendar.format_days(window.days)
        board.days_to_window = (window.days[0] - today.date()).days
    return board


def search(
    engine: Engine, campaign: Campaign, flt: TraineeFilter, page: int, total: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """One page of trainees matching ``flt`` with their stage and posts, and the number matching.

    ``total``, when the caller knows it (``TraineeFilter.total_in``), saves counting. A text search reads
    the matching ids once (from the search index) and takes the page from them.
    """
    rules = HoursRules.from_campaign(campaign)
    where = flt.where(rules, campaign.campaign.id)
    columns = (*RECORD_COLUMNS, stage_column(rules).label("stage"))
    start = (page - 1) * PER_PAGE
    with engine.connect() as conn:
        ids = select(TRAINEES.c.id).where(where)
        if flt.q and not flt.id_hash:
            matching = sorted(conn.execute(ids).scalars())
            total, shown = len(matching), matching[start : start + PER_PAGE]
        else:
            # The page's ids first (an index walk, no wide rows), then their rows.
            if total is None:
                total = conn.execute(select(func.count()).select_from(TRAINEES).where(where)).scalar_one()
            page_ids = ids.order_by(TRAINEES.c.id).limit(PER_PAGE).offset(start)
            shown = list(conn.execute(page_ids).scalars()) if start < total else []
        query = select(*columns).where(TRAINEES.c.id.in_(shown)).order_by(TRAINEES.c.id)
        rows = conn.execute(query).all() if shown else []
        posts = _posts_of(conn, [row.id for row in rows])
    found = []
    for row in rows:
        record = record_from_row(row, posts.get(row.id, ()))
        found.append({"record": record, "stage": row.stage})
    return found, total


def matching_records(engine: Engine, campaign: Campaign, flt: TraineeFilter) -> Iterator[TraineeRecord]:
    """Every trainee matching ``flt``, in id order (for export)."""
    rules = HoursRules.from_campaign(campaign)
    where = flt.where(rules, campaign.campaign.id)
    with engine.connect() as conn:
        rows = conn.execute(select(*RECORD_COLUMNS).where(where).order_by(TRAINEES.c.id)).all()
        posts: dict[int, list[str]] = {}
        query = (
            select(POSTS.c.trainee_id, POSTS.c.post)
            .where(POSTS.c.trainee_id.in_(select(TRAINEES.c.id).where(where)))
            .order_by(POSTS.c.trainee_id, POSTS.c.position)
        )
        for tid, post in conn.execute(query):
            posts.setdefault(tid, []).append(post)
    for row in rows:
        yield record_from_row(row, tuple(posts.get(row.id, ())))


def employers(engine: Engine, campaign: Campaign, limit: int = 300) -> list[str]:
    """The employers with the most trainees this year (for the filter's suggestions)."""
    query = (
        select(TRAINEES.c.employer)
        .where(TRAINEES.c.campaign == campaign.campaign.id, TRAINEES.c.employer != "")
        .group_by(TRAINEES.c.employer)
        .order_by(func.count().desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def trainee_detail(engine: Engine, trainee_id: int) -> dict[str, Any] | None:
    """One trainee: record, bindings, the messages in and out of their chats, their outbox rows."""
    with engine.connect() as conn:
        row = conn.execute(select(*RECORD_COLUMNS).where(TRAINEES.c.id == trainee_id)).first()
        if row is None:
            return None
        record = record_from_row(row, _posts_of(conn, [trainee_id]).get(trainee_id, ()))
        bindings = conn.execute(
            select(BINDINGS.c.channel, BINDINGS.c.address, BINDINGS.c.created_at).where(
                BINDINGS.c.trainee_id == trainee_id
            )
        ).all()
        chats = [(b.channel, b.address) for b in bindings]
        if record.phone:
            chats.append(("sms", record.phone))
        messages: list[Any] = []
        if chats:
            messages = [
                *conn.execute(
                    select(
                        CONVERSATIONS.c.channel,
                        MESSAGES.c.direction,
                        MESSAGES.c.text,
                        MESSAGES.c.intent,
                        MESSAGES.c.at,
                    )
                    .join(CONVERSATIONS, CONVERSATIONS.c.id == MESSAGES.c.conversation_id)
                    .where(tuple_(CONVERSATIONS.c.channel, CONVERSATIONS.c.address).in_(chats))
                    .order_by(MESSAGES.c.at.desc(), MESSAGES.c.id.desc())
                    .limit(50)
                )
            ]
        outbox = conn.execute(
            select(OUTBOX.c.channel, OUTBOX.c.kinds, OUTBOX.c.text, OUTBOX.c.status, OUTBOX.c.receipt)
            .add_columns(OUTBOX.c.send_at, OUTBOX.c.sent_at, OUTBOX.c.last_error, OUTBOX.c.idempotency_key)
            .where(OUTBOX.c.trainee_id == trainee_id)
            .order_by(OUTBOX.c.send_at.desc(), OUTBOX.c.id.desc())
            .limit(50)
        ).all()
        keys = set(conn.execute(select(KEYS.c.key).where(KEYS.c.trainee_id == trainee_id)).scalars())
    telegram = next((b.address for b in bindings if b.channel == "telegram"), None)
    wechat = next((b.address for b in bindings if b.channel == "wechat"), None)
    return {
        "record": record,
        "bindings": bindings,
        "messages": messages,
        "outbox": outbox,
        "used_keys": keys,
        "telegram": telegram,
        "wechat": wechat,
    }
