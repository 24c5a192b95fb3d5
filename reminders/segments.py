"""Segments of the ledger in SQL: stages, contacts and audiences, mirroring the pure rules.

``stage_filters`` and ``audience_filter`` are ``reminders.audience.stage_of`` and ``Audience.matches``;
``Contact`` is ``reminders.policy._contact``; tests check each pair gives the same trainees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, exists, func, or_, select, true

from knowledge.status import HoursRules
from ledger.channel_models import ChannelBlock
from ledger.models import Binding, Trainee, TraineePost
from reminders.audience import NOT_QUALIFIED, STAGES, Audience

TRAINEES: Table = Trainee.__table__  # type: ignore[assignment]
POSTS: Table = TraineePost.__table__  # type: ignore[assignment]
BINDINGS: Table = Binding.__table__  # type: ignore[assignment]
BLOCKS: Table = ChannelBlock.__table__  # type: ignore[assignment]


def hours_done_filter(rules: HoursRules) -> ColumnElement[bool]:
    """``knowledge.status.hours_done`` in SQL."""
    t = TRAINEES.c
    return or_(
        and_(t.online_hours >= rules.online_min, t.offline_hours >= rules.offline_proof_min),
        t.online_hours >= rules.yearly,
    )


def stage_column(rules: HoursRules) -> ColumnElement[str]:
    """``reminders.audience.stage_of`` in SQL: the first step a trainee lacks, or ``qualified``."""
    t = TRAINEES.c
    return case(
        (t.registered.is_(False), "not_registered"),
        (t.confirmed.is_(False), "not_confirmed"),
        (t.paid.is_(False), "unpaid"),
        (~hours_done_filter(rules), "hours_short"),
        (t.audited.is_(False), "awaiting_audit"),
        else_="qualified",
    )


def stage_filters(rules: HoursRules) -> dict[str, ColumnElement[bool]]:
    """One condition per stage, mutually exclusive: counted with FILTER in a single scan, no sorting."""
    t = TRAINEES.c
    done = hours_done_filter(rules)
    steps = (t.registered.is_(True), t.confirmed.is_(True), t.paid.is_(True), done, t.audited.is_(True))
    filters = {}
    for n, stage in enumerate(STAGES):
        met = steps[:n]
        missing = [~steps[n]] if n < len(steps) else []
        filters[stage] = and_(true(), *met, *missing)
    return filters


def chat_of(channel: str) -> Any:
    """A correlated subquery: the trainee's chat address on ``channel`` that is not blocked, or NULL.

    The same rule as ``reminders.service.load_plan_inputs``.
    """
    blocked = (
        select(BLOCKS.c.address)
        .where(BLOCKS.c.channel == channel, BLOCKS.c.address == BINDINGS.c.address)
        .exists()
    )
    return (
        select(func.max(BINDINGS.c.address))
        .where(BINDINGS.c.trainee_id == TRAINEES.c.id, BINDINGS.c.channel == channel, ~blocked)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Contact:
    """How each trainee is reached, in SQL: WeChat when bound, else Telegram, else SMS (``policy._contact``)."""

    wechat: Any
    telegram: Any

    @classmethod
    def build(cls) -> Contact:
        return cls(chat_of("wechat"), chat_of("telegram"))

    @property
    def channel(self) -> ColumnElement[Any]:
        return case(
            (self.wechat.is_not(None), "wechat"),
            (self.telegram.is_not(None), "telegram"),
            (and_(TRAINEES.c.phone.is_not(None), TRAINEES.c.phone != ""), "sms"),
            else_=None,
        )

    @property
    def address(self) -> ColumnElement[Any]:
        return func.coalesce(self.wechat, self.telegram, TRAINEES.c.phone)


def audience_filter(
    audience: Audience, rules: HoursRules, channel: ColumnElement[Any]
) -> ColumnElement[bool]:
    """The SQL condition of ``audience`` (``Audience.matches``)."""
    t = TRAINEES.c
    conditions: list[ColumnElement[bool]] = []
    if audience.statuses:
        stage = stage_column(rules)
        options = [
            ~and_(hours_done_filter(rules), t.audited.is_(True)) if s == NOT_QUALIFIED else stage == s
            for s in audience.statuses
        ]
        conditions.append(or_(*options))
    if audience.post is not None:
        conditions.append(exists().where(POSTS.c.trainee_id == t.id, POSTS.c.post == audience.post))
    if audience.employer is not None:
        conditions.append(t.employer == audience.employer)
    if audience.hours_below is not None:
        conditions.append(t.online_hours + t.offline_hours < audience.hours_below)
    if audience.channel is not None:
        conditions.append(channel == audience.channel)
    return and_(true(), *conditions)
