"""The ledger at a glance (trainees by stage, hours distribution, opt-outs), cached until the ledger changes.

One GROUP BY over the narrow progress index (``ix_trainees_progress``) returns a few hundred groups of equal
flags and hours; each group's stage and hours bucket come from the pure rules (``stage_of``, ``hours_done``),
so the dashboard and the trainee list count with the same rule the reminders use, without a SQL copy of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from bot.console.cache import TtlCache
from knowledge.campaign import Campaign
from knowledge.status import HoursRules, TraineeRecord
from ledger.store import TRAINEES
from reminders.audience import STAGES, stage_of


@dataclass(frozen=True)
class LedgerSummary:
    """A campaign's trainees counted by stage and by total hours."""

    stages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    hours: list[tuple[str, int]] = field(default_factory=list)
    opted_out: int = 0

    @property
    def total(self) -> int:
        return sum(self.stages.values())


def hour_buckets(rules: HoursRules) -> tuple[list[str], Callable[[float], int]]:
    """The histogram's labels (0, four quarters of the yearly hours, at least the yearly hours) and a
    function from a total to its bucket's index."""
    step = rules.yearly / 4
    edges = [0.0, step, 2 * step, 3 * step, rules.yearly]
    labels = ["0"] + [f"{a:g}–{b:g}" for a, b in itertools.pairwise(edges)] + [f"≥{rules.yearly:g}"]

    def bucket(total: float) -> int:
        if total <= 0:
            return 0
        return 1 + sum(1 for edge in edges[1:] if total >= edge)

    return labels, bucket


def ledger_summary(engine: Engine, campaign: Campaign) -> LedgerSummary:
    """Count the campaign's trainees by stage and hours: one grouped scan of the progress index."""
    rules = HoursRules.from_campaign(campaign)
    t = TRAINEES.c
    # In the index's column order, so SQLite aggregates while it walks the index, without sorting.
    keys = (t.registered, t.confirmed, t.paid, t.audited, t.opted_out, t.online_hours, t.offline_hours)
    query = select(*keys, func.count()).where(t.campaign == campaign.campaign.id).group_by(*keys)
    labels, bucket = hour_buckets(rules)
    stages, hours, opted_out = dict.fromkeys(STAGES, 0), [0] * len(labels), 0
    with engine.connect() as conn:
        groups = conn.execute(query).all()
    for registered, confirmed, paid, audited, opted, online, offline, count in groups:
        record = TraineeRecord(
            0, "", "", None, (), "", registered, confirmed, None, paid, online, offline, audited
        )
        stages[stage_of(record, rules)] += count
        hours[bucket(online + offline)] += count
        opted_out += count if opted else 0
    return LedgerSummary(stages, list(zip(labels, hours, strict=True)), opted_out)


def ledger_stamp(engine: Engine, campaign: Campaign) -> object:
    """When the campaign's ledger last changed (every write sets ``updated_at``): one index lookup."""
    t = TRAINEES.c
    with engine.connect() as conn:
        return conn.execute(
            select(func.max(t.updated_at)).where(t.campaign == campaign.campaign.id)
        ).scalar_one()


def current_summary(cache: TtlCache[LedgerSummary], engine: Engine, campaign: Campaign) -> LedgerSummary:
    """``ledger_summary``, reused from ``cache`` while the ledger's stamp is unchanged (and within its TTL)."""
    stamp = ledger_stamp(engine, campaign)
    return cache.get((campaign.campaign.id, stamp), lambda: ledger_summary(engine, campaign))
