"""Who a staff broadcast goes to, and how its text reads: pure, no I/O.

A trainee's *stage* is the first step of the notice they have not done (registration, on-site
confirmation, payment, hours, the training point's audit), or ``qualified`` when all are done. An
``Audience`` combines a stage (or several), a post, an employer, an hours ceiling and a channel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowledge.status import HoursRules, TraineeRecord, assess, hours_done

STAGES: dict[str, str] = {
    "not_registered": "未报名",
    "not_confirmed": "未资格确认",
    "unpaid": "未缴费",
    "hours_short": "学时不足",
    "awaiting_audit": "待审核",
    "qualified": "已合格",
}
# Not a stage: everyone not yet qualified in the notice's sense (hours done and audited).
NOT_QUALIFIED = "not_qualified"
STATUS_LABELS = {**STAGES, NOT_QUALIFIED: "未合格（全部）"}
CHANNELS = {"sms": "短信", "wechat": "微信", "telegram": "Telegram"}

SMS_SINGLE = 70  # UCS-2 characters in a one-part SMS
SMS_PART = 67  # per part of a longer one (the rest carries the concatenation header)
# Placeholders a broadcast may use, filled per recipient.
PLACEHOLDERS = ("{姓名}", "{单位}", "{还差学时}")


class AudienceError(ValueError):
    """A segment that cannot be used; the message says which value and what is allowed."""


def stage_of(record: TraineeRecord, rules: HoursRules) -> str:
    """The first step a trainee still lacks, in the notice's order, or ``qualified``."""
    if not record.registered:
        return "not_registered"
    if not record.confirmed:
        return "not_confirmed"
    if not record.paid:
        return "unpaid"
    if not hours_done(record.online_hours, record.offline_hours, rules):
        return "hours_short"
    if not record.audited:
        return "awaiting_audit"
    return "qualified"


@dataclass(frozen=True)
class Audience:
    """A segment of the ledger: every condition given must hold (an empty audience is everyone).

    ``statuses`` are stages (or ``not_qualified``), any of which may match; ``hours_below`` compares the
    total of online and offline hours; ``channel`` keeps only trainees reached on that channel.
    """

    statuses: tuple[str, ...] = ()
    post: str | None = None
    employer: str | None = None
    hours_below: float | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        unknown = [s for s in self.statuses if s not in STATUS_LABELS]
        if unknown:
            raise AudienceError(f"未知状态 {unknown[0]!r}，可选：{'、'.join(STATUS_LABELS)}")
        if self.channel is not None and self.channel not in CHANNELS:
            raise AudienceError(f"未知渠道 {self.channel!r}，可选：{'、'.join(CHANNELS)}")
        if self.hours_below is not None and (math.isnan(self.hours_below) or self.hours_below <= 0):
            raise AudienceError("“学时低于”应为大于 0 的数字")

    @classmethod
    def from_segment(cls, name: str, value: str | None = None) -> Audience:
        """The audience of a command-line segment (``unpaid``, ``post:安全员``, ``employer:…``, ``all``)."""
        if name == "all":
            return cls()
        if name == "post":
            return cls(post=value)
        if name == "employer":
            return cls(employer=value)
        statuses = {"unconfirmed": "not_confirmed"}.get(name, name)
        return cls(statuses=(statuses,))

    def matches(self, record: TraineeRecord, rules: HoursRules, channel: str | None) -> bool:
        """Tell whether a record (reached on ``channel``, None when it cannot be reached) belongs here."""
        if self.statuses and not any(_has_status(record, rules, s) for s in self.statuses):
            return False
        if self.post is not None and self.post not in record.posts:
            return False
        if self.employer is not None and record.employer != self.employer:
            return False
        if self.hours_below is not None and record.online_hours + record.offline_hours >= self.hours_below:
            return False
        return self.channel is None or channel == self.channel

    def describe(self) -> str:
        """The audience in words, for staff: 状态：未缴费；岗位：安全员."""
        parts = []
        if self.statuses:
            parts.append("状态：" + "或".join(STATUS_LABELS[s] for s in self.statuses))
        if self.post:
            parts.append(f"岗位：{self.post}")
        if self.employer:
            parts.append(f"单位：{self.employer}")
        if self.hours_below is not None:
            parts.append(f"总学时低于 {self.hours_below:g}")
        if self.channel:
            parts.append(f"渠道：{CHANNELS[self.channel]}")
        return "；".join(parts) or "全部学员"


def _has_status(record: TraineeRecord, rules: HoursRules, status: str) -> bool:
    if status == NOT_QUALIFIED:
        return not assess(record, rules).qualified
    return stage_of(record, rules) == status


def sms_segments(text: str) -> int:
    """How many SMS parts ``text`` takes in UCS-2: one up to 70 characters, else 67 a part."""
    if len(text) <= SMS_SINGLE:
        return 1
    return math.ceil(len(text) / SMS_PART)


def render_text(template: str, record: TraineeRecord, rules: HoursRules) -> str:
    """Fill a broadcast's placeholders for one recipient: {姓名}, {单位}, {还差学时}."""
    missing = assess(record, rules).shortfall.total
    return (
        template.replace("{姓名}", record.name)
        .replace("{单位}", record.employer or "")
        .replace("{还差学时}", f"{missing:g}")
    )


OUTCOME_LABELS = {
    "pending": "待发送",
    "sent": "已发出（待回执）",
    "delivered": "已送达",
    "failed": "失败",
    "expired": "过期（未及时发出或无回执）",
    "cancelled": "已取消",
}
