"""Segments of the ledger in SQL: stages, contacts and audiences, mirroring the pure rules.

``stage_filters`` and ``audience_filter`` are ``reminders.audience.stage_of`` and ``Audience.matches``;
``Contact`` is ``reminders.policy._contact``; tests check each pair gives the same trainees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Join,
    Subquery,
    Table,
    and_,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
)

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
    """One condition per stage, mutually exclusive.

    Flags are compared with ``=`` (the columns are NOT NULL): PostgreSQL can then seek the progress index
    (``campaign, registered, confirmed, paid, …``), which it cannot for ``IS TRUE``.
    """
    t = TRAINEES.c
    done = hours_done_filter(rules)
    steps = (t.registered, t.confirmed, t.paid, done, t.audited)
    filters = {}
    for n, stage in enumerate(STAGES):
        met = [step if step is done else step == true() for step in steps[:n]]
        missing = []
        if n < len(steps):
            missing = [~done if steps[n] is done else steps[n] == false()]
        filters[stage] = and_(true(), *met, *missing)
    return filters


def unblocked_chats() -> Subquery:
    """Each bound trainee's WeChat and Telegram chat that is not blocked (NULL when none): one grouped read
    of the bindings, joined to the trainees rather than asked once per trainee.

    The same rule as ``reminders.service.load_plan_inputs``.
    """
    b = BINDINGS.c
    blocked = (
        select(BLOCKS.c.address).where(BLOCKS.c.channel == b.channel, BLOCKS.c.address == b.address).exists()
    )
    return (
        select(
            b.trainee_id,
            func.max(case((b.channel == "wechat", b.address))).label("wechat"),
            func.max(case((b.channel == "telegram", b.address))).label("telegram"),
        )
        .where(b.channel.in_(("wechat", "telegram")), ~blocked)
        .group_by(b.trainee_id)
        .subquery("chats")
    )


@dataclass(frozen=True)
class Contact:
    """How each trainee is reached, in SQL: WeChat when bound, else Telegram, else SMS (``policy._contact``).

    Select ``from_`` (the trainees with their chats joined) to use ``channel`` and ``address``.
    """

    chats: Subquery

    @classmethod
    def build(cls) -> Contact:
        return cls(unblocked_chats())

    @property
    def from_(self) -> Join:
        """The trainees, each with their unblocked chats (if any)."""
        return TRAINEES.outerjoin(self.chats, self.chats.c.trainee_id == TRAINEES.c.id)

    @property
    def wechat(self) -> ColumnElement[Any]:
        return self.chats.c.wechat

    @property
    def telegram(self) -> ColumnElement[Any]:
        return self.chats.c.telegram

    def reached_by(self) -> dict[str | None, ColumnElement[bool]]:
        """``channel == name`` for each channel, and ``channel IS NULL`` under None, without the CASE."""
        wechat, telegram = self.wechat.is_not(None), self.telegram.is_not(None)
        phone = and_(TRAINEES.c.phone.is_not(None), TRAINEES.c.phone != "")
        return {
            "wechat": wechat,
            "telegram": and_(~wechat, telegram),
            "sms": and_(~wechat, ~telegram, phone),
            None: and_(~wechat, ~telegram, ~phone),
        }

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
        # The conjunctions of ``stage_filters`` rather than the CASE of ``stage_column``: an index can serve them.
        stages = stage_filters(rules)
        options = [
            ~and_(hours_done_filter(rules), t.audited.is_(True)) if s == NOT_QUALIFIED else stages[s]
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
