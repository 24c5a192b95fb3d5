"""`jxjy ledger status`: counts by status, by post and by employer, as rich tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.status import HoursRules, TraineeRecord, assess

STATUSES = (
    ("trainees", "台账人数"),
    ("registered", "已报名"),
    ("confirmed", "已资格确认"),
    ("paid", "已缴费"),
    ("hours_done", "学时已满"),
    ("audited", "已审核"),
    ("qualified", "合格"),
    ("opted_out", "已退订提醒"),
)


@dataclass
class StatusCounts:
    """How many trainees are at each status, overall and per post and per employer."""

    overall: Counter[str] = field(default_factory=Counter)
    by_post: dict[str, Counter[str]] = field(default_factory=dict)
    by_employer: dict[str, Counter[str]] = field(default_factory=dict)


def count_statuses(records: Iterable[TraineeRecord], rules: HoursRules) -> StatusCounts:
    """Count every status for all trainees, per post (a trainee counts once per post) and per employer."""
    counts = StatusCounts()
    for record in records:
        result = assess(record, rules)
        flags = {
            "trainees": True,
            "registered": record.registered,
            "confirmed": record.confirmed,
            "paid": record.paid,
            "hours_done": result.hours_done,
            "audited": record.audited,
            "qualified": result.qualified,
            "opted_out": record.opted_out,
        }
        hit = Counter({key: 1 for key, value in flags.items() if value})
        counts.overall.update(hit)
        for post in record.posts:
            counts.by_post.setdefault(post, Counter()).update(hit)
        counts.by_employer.setdefault(record.employer or "（未填）", Counter()).update(hit)
    return counts


def status_tables(records: Iterable[TraineeRecord], rules: HoursRules) -> list[Any]:
    """Three rich tables: by status, by post, by employer."""
    from rich.table import Table

    counts = count_statuses(records, rules)
    overall = Table(title="按状态统计")
    overall.add_column("状态")
    overall.add_column("人数", justify="right")
    for key, label in STATUSES:
        overall.add_row(label, str(counts.overall[key]))
    tables = [overall]
    for title, first, groups in (
        ("按岗位统计", "岗位", counts.by_post),
        ("按在岗单位统计", "在岗单位", counts.by_employer),
    ):
        table = Table(title=title)
        table.add_column(first)
        for _, label in STATUSES[:-1]:
            table.add_column(label, justify="right")
        for name, group in sorted(groups.items(), key=lambda item: -item[1]["trainees"]):
            table.add_row(name, *(str(group[key]) for key, _ in STATUSES[:-1]))
        tables.append(table)
    return tables
