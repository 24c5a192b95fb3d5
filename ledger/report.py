"""`jxjy ledger status` and `behind`: counts by status, post and employer, and who still lacks what."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from knowledge.status import HoursRules, Step, TraineeRecord, assess

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
    overall.add_column("状态", overflow="fold")
    overall.add_column("人数", justify="right")
    for key, label in STATUSES:
        overall.add_row(label, str(counts.overall[key]))
    tables = [overall]
    for title, first, groups in (
        ("按岗位统计", "岗位", counts.by_post),
        ("按在岗单位统计", "在岗单位", counts.by_employer),
    ):
        table = Table(title=title)
        table.add_column(first, overflow="fold", min_width=6)
        for _, label in STATUSES[:-1]:
            table.add_column(label, justify="right", overflow="fold")
        for name, group in sorted(groups.items(), key=lambda item: -item[1]["trainees"]):
            table.add_row(name, *(str(group[key]) for key, _ in STATUSES[:-1]))
        tables.append(table)
    return tables


STEP_LABELS = {
    Step.REGISTER: "未报名",
    Step.CONFIRM: "未资格确认",
    Step.PAY: "未缴费",
    Step.STUDY_ONLINE: "线上学时不足",
    Step.UPLOAD_PROOF: "线下证明不足",
    Step.AUDIT: "待培训点审核",
}
# What staff type for --step: the step's Chinese name (the notice's words), its label, or its English value.
STEP_NAMES = {
    Step.REGISTER: "报名",
    Step.CONFIRM: "资格确认",
    Step.PAY: "缴费",
    Step.STUDY_ONLINE: "线上学时",
    Step.UPLOAD_PROOF: "线下证明",
    Step.AUDIT: "审核",
}
_STEP_WORDS = {
    **{step.value: step for step in Step},
    **{name: step for step, name in STEP_NAMES.items()},
    **{label: step for step, label in STEP_LABELS.items()},
    "确认": Step.CONFIRM,
    "线上": Step.STUDY_ONLINE,
    "线下": Step.UPLOAD_PROOF,
    "线下学时": Step.UPLOAD_PROOF,
}


def parse_step(text: str) -> Step:
    """The step named by ``text`` in Chinese or English; ValueError naming the choices otherwise."""
    step = _STEP_WORDS.get(text.strip().casefold())
    if step is None:
        names = "、".join(STEP_NAMES.values())
        english = ", ".join(s.value for s in Step)
        raise ValueError(f"--step 应为 {names} 之一（或英文 {english}），不是“{text}”")
    return step


@dataclass(frozen=True)
class Behind:
    """A trainee not yet qualified, with what they lack: a row of `jxjy ledger behind`."""

    record: TraineeRecord
    steps: tuple[Step, ...]
    online_short: float
    offline_short: float


def behind(
    records: Iterable[TraineeRecord],
    rules: HoursRules,
    *,
    step: Step | None = None,
    employer: str | None = None,
    post: str | None = None,
) -> list[Behind]:
    """Everyone not yet qualified (optionally only those who still lack ``step``, of an employer or post)."""
    rows = []
    for record in records:
        if (employer and record.employer != employer) or (post and post not in record.posts):
            continue
        assessment = assess(record, rules)
        if assessment.qualified or (step is not None and step not in assessment.next_steps):
            continue
        short = assessment.shortfall
        rows.append(Behind(record, assessment.next_steps, short.online, short.offline))
    return rows


def behind_table(rows: list[Behind], *, show_phone: bool = False) -> Any:
    """A rich table of ``rows``: name, masked ID, phone (masked unless ``show_phone``), employer, what is missing.

    Columns wrap instead of cutting text off, so an 80-column terminal shows everything.
    """
    from rich.table import Table

    from bot.kernel.personal_data import mask_phone

    table = Table(title=f"未合格学员（{len(rows)} 人）")
    table.add_column("姓名", overflow="fold", min_width=4)
    table.add_column("身份证号", no_wrap=True, min_width=18)
    table.add_column("手机号", no_wrap=True, min_width=11)
    table.add_column("在岗单位", overflow="fold")
    table.add_column("还差", overflow="fold", ratio=2)
    for row in rows:
        missing = "、".join(STEP_LABELS[s] for s in row.steps)
        if row.online_short or row.offline_short:
            missing += f"（线上差{row.online_short:g}，线下差{row.offline_short:g}学时）"
        r = row.record
        phone = (r.phone if show_phone else mask_phone(r.phone)) if r.phone else ""
        table.add_row(r.name, r.id_masked, phone, r.employer, missing)
    return table
