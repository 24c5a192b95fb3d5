"""Reminder wording: one phrase per kind (full and short), joined into a digest that fits two SMS segments.

Only the wording lives here; every fact (address, days, fee, hours, website, phone) comes from the Campaign.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from knowledge.calendar import format_days
from knowledge.campaign import Campaign
from ledger.status import Step

Kind = Literal["registration", "confirmation_window", "payment_due", "hours_shortfall", "deadline"]
KINDS: tuple[Kind, ...] = (
    "registration",
    "confirmation_window",
    "payment_due",
    "hours_shortfall",
    "deadline",
)

# Issue 4 allows 140 characters; a Chinese SMS is UCS-2, and a message longer than one segment (70) travels in
# segments of 67, so two segments hold 134: the stricter bound keeps every reminder to two.
SMS_LIMIT = 134
NAME_LIMIT = 10

# Which phrases give way first when the digest is too long: the ones whose short form loses least.
_SHORTEN_ORDER: tuple[Kind, ...] = (
    "payment_due",
    "registration",
    "hours_shortfall",
    "confirmation_window",
    "deadline",
)


@dataclass(frozen=True, slots=True)
class Gap:
    """What one due kind says: the window's days, the missing hours or the days left, as the kind needs."""

    kind: Kind
    window_days: tuple[dt.date, ...] = ()
    window_opens_today: bool = False
    online: float = 0.0
    offline: float = 0.0
    days_left: int = 0
    next_step: Step | None = None


class Wording:
    """Render digests for one campaign; the fact-only parts are formatted once, not per trainee."""

    def __init__(self, campaign: Campaign) -> None:
        facts = campaign.facts
        self.end = facts.period.end
        self._tail = f"咨询{facts.contact.phone}，回T退订"
        self._registration = (
            f"您尚未报名{facts.period.end.year}年度继续教育，请登录{facts.websites.pc}点“报名登记”，"
            f"选“{facts.registration.org_choice}”。",
            f"您尚未报名，请登录{facts.websites.pc}报名登记。",
        )
        self._place = facts.confirmation.place
        self._materials = facts.confirmation.materials
        fee = facts.fee
        self._payment = (
            f"您已通过资格确认，请缴纳培训费{fee.amount}元/{fee.per}（{fee.rule}）。",
            f"请缴纳培训费{fee.amount}元。",
        )
        self._pc = facts.websites.pc
        self._proof = facts.offline.proof_form
        self._end_md = f"{self.end.month}月{self.end.day}日"
        # A countdown on its own still says what to do next: the trainee's first open step.
        self._step_phrase = {
            Step.REGISTER: f"请登录{facts.websites.pc}报名。",
            Step.CONFIRM: f"请到{self._place}资格确认。",
            Step.PAY: f"请缴纳培训费{fee.amount}元。",
            Step.STUDY_ONLINE: f"请登录{facts.websites.pc}学习。",
            Step.UPLOAD_PROOF: f"请上传{facts.offline.proof_form}。",
            Step.AUDIT: f"学时已满，请联系{facts.qualification.audit_by}审核。",
        }

    def render(self, name: str, gaps: tuple[Gap, ...]) -> str:
        """Join the gaps' phrases under the trainee's name, shortening phrases until the text fits."""
        name = name[:NAME_LIMIT]
        short: set[Kind] = set()
        text = self._compose(name, gaps, short, tail=True)
        for kind in _SHORTEN_ORDER:
            if len(text) <= SMS_LIMIT:
                return text
            short.add(kind)
            text = self._compose(name, gaps, short, tail=True)
        if len(text) > SMS_LIMIT:
            text = self._compose(name, gaps, short, tail=False)
        return text

    def _compose(self, name: str, gaps: tuple[Gap, ...], short: set[Kind], *, tail: bool) -> str:
        body = "".join(self._phrase(gap, gap.kind in short) for gap in gaps)
        if len(gaps) == 1 and gaps[0].kind == "deadline" and gaps[0].next_step is not None:
            body += self._step_phrase[gaps[0].next_step]
        return f"{name}您好：" + body + (self._tail if tail else "")

    def _phrase(self, gap: Gap, short: bool) -> str:
        if gap.kind == "registration":
            return self._registration[short]
        if gap.kind == "confirmation_window":
            days = format_days(gap.window_days, short=True)
            if short:
                return f"请于{days}到{self._place}资格确认。"
            when = "今天起" if gap.window_opens_today else ""
            return f"您尚未资格确认，{when}{days}（工作日）请到{self._place}确认，带{self._materials}。"
        if gap.kind == "payment_due":
            return self._payment[short]
        if gap.kind == "hours_shortfall":
            return self._hours(gap, short)
        return self._deadline(gap, short)

    def _hours(self, gap: Gap, short: bool) -> str:
        parts, actions = [], []
        if gap.online > 0:
            parts.append(f"线上{hours(gap.online)}学时")
            actions.append(f"登录{self._pc}学习" if not short else "线上学习")
        if gap.offline > 0:
            parts.append(f"线下{hours(gap.offline)}学时")
            actions.append(f"上传{self._proof}" if not short else "上传线下证明")
        return f"您还差{'、'.join(parts)}，请{'并'.join(actions)}。"

    def _deadline(self, gap: Gap, short: bool) -> str:
        if gap.days_left <= 0:
            return "今天截止！" if short else f"今天（{self._end_md}）是最后一天！"
        return f"{gap.days_left}天后截止。" if short else f"距{self._end_md}截止还剩{gap.days_left}天。"


def hours(value: float) -> str:
    """Write hours the way people do: 8 and 7.5, never 8.0."""
    return f"{value:g}"
