"""`jxjy kb check`: find what would break a campaign file before it reaches a trainee."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from knowledge import calendar
from knowledge.answers import FactFormatter, Form, render, suggestions
from knowledge.campaign import SHORT_LIMIT, Campaign, CampaignError, load_campaign
from knowledge.check_details import check_details
from knowledge.personal import record_values
from knowledge.status import HoursRules, Step, TraineeRecord, assess

# Answers every campaign must have: the intents the NLU can produce for questions about the notice.
REQUIRED_ANSWERS = (
    "greet",
    "goodbye",
    "thank",
    "acknowledge",
    "bot_challenge",
    "ask_audience",
    "ask_posts",
    "ask_process",
    "ask_registration",
    "ask_confirmation",
    "ask_confirmation_materials",
    "ask_confirmation_time",
    "ask_confirmation_place",
    "ask_hours",
    "ask_qualification",
    "ask_offline_training",
    "ask_fee",
    "ask_certificate",
    "ask_pc_learning",
    "ask_mobile_learning",
    "ask_wechat_binding",
    "ask_contact",
    "ask_period",
    "ask_not_in_notice",
    "nlu_fallback",
)
# Values a personal message names besides the record's: sample ones, to render every template.
MESSAGE_SAMPLES = {"code": "123456", "code_minutes": "10", "phone_masked": "138****5678"}
DYNAMIC_STATES = {
    "confirmation_outlook": ("before", "today", "upcoming", "over"),
    "period_outlook": ("before", "running", "last_day", "over"),
}


def sample_moments(campaign: Campaign) -> list[dt.datetime]:
    """Moments that exercise every date-dependent branch: before, inside and after each window, the deadline."""
    period = campaign.facts.period
    days = {period.start - dt.timedelta(days=3), period.start, period.end, period.end + dt.timedelta(days=1)}
    for window in calendar.confirmation_windows(campaign):
        days.update({window.days[0], window.days[-1], window.days[0] - dt.timedelta(days=2)})
    return [dt.datetime.combine(d, dt.time(10), campaign.tz) for d in sorted(days)]


def check_campaign(campaign: Campaign) -> list[str]:
    """Return every problem found, each a sentence a staff member can act on (empty when fine)."""
    problems = [f"answers：缺少答复 {name}" for name in REQUIRED_ANSWERS if name not in campaign.answers]
    for name, states in DYNAMIC_STATES.items():
        for suffix in ("", "_short"):
            missing = [s for s in states if s not in campaign.dynamic.get(name + suffix, {})]
            if missing:
                problems.append(f"dynamic.{name}{suffix}：缺少情形 {'、'.join(missing)}")
    if problems:
        return problems
    period = campaign.facts.period
    if period.start > period.end:
        problems.append("facts.period: start is after end")
    problems += [f"review：还没核对（核对后删去这一行）：{item}" for item in campaign.review]
    uncovered = calendar.uncovered_years(campaign)
    if uncovered:
        years = "、".join(str(y) for y in uncovered)
        return [
            *problems,
            f"calendar: {years}年的法定节假日和调休，chinesecalendar 和本文件的 calendar: 都没有；"
            "请升级 chinesecalendar，或按国务院办公厅通知在 calendar: 下列出（holidays、workdays）",
        ]
    try:
        if not calendar.confirmation_windows(campaign):
            problems.append("facts.confirmation: no working day falls in any confirmation window")
    except calendar.CalendarError as exc:
        return [*problems, f"facts.period：{exc}"]
    for label_intent in campaign.labels:
        if label_intent not in campaign.answers:
            problems.append(f"labels.{label_intent}：没有这个名字的答复")
    extra = {"suggestions": suggestions(campaign, [])}
    moments = sample_moments(campaign)
    for intent, answer in campaign.answers.items():
        forms: tuple[Form, ...] = ("full", "short")
        for form in forms:
            renders = (
                (m.date(), partial(render, campaign, intent, m, form=form, extra=extra)) for m in moments
            )
            problems += _template_problems(f"answers.{intent}.{form}", getattr(answer, form), renders)
    problems += _check_personal(campaign)
    problems += check_details(campaign, moments)
    problems += _check_between(campaign)
    return problems


def _check_between(campaign: Campaign) -> list[str]:
    """The between-campaigns sentence (JXJY_CAMPAIGN_DIR) renders, and its short form fits an SMS."""
    from knowledge.years import BETWEEN, between_text

    problems = []
    forms: tuple[Form, ...] = ("full", "short")
    for form in forms:
        template = campaign.dynamic.get("between_campaigns", {}).get(form, BETWEEN[form])
        renders = [(campaign.facts.period.end, partial(between_text, campaign, form))]
        problems += _template_problems(f"dynamic.between_campaigns.{form}", template, renders)
    return problems


def check_campaign_file(
    path: Path | str, more_checks: Iterable[Callable[[Campaign], list[str]]] = ()
) -> list[str]:
    """Load and check a campaign file (and run ``more_checks`` on it); a file that does not load is one problem."""
    try:
        campaign = load_campaign(path)
    except CampaignError as exc:
        return [str(exc)]
    problems = check_campaign(campaign)
    for check in more_checks:
        problems += check(campaign)
    return problems


def _sample_records() -> list[TraineeRecord]:
    base = TraineeRecord(
        trainee_id=1,
        name="张三",
        id_masked="4306**********1235",
        phone=None,
        posts=("资料员",),
        employer="",
        registered=False,
        confirmed=False,
        confirmed_on=None,
        paid=False,
        online_hours=0,
        offline_hours=0,
        audited=False,
    )
    done = dataclasses.replace(
        base, registered=True, confirmed=True, confirmed_on=dt.date(2023, 10, 26), paid=True, online_hours=32
    )
    # Short of hours of each kind: online only, offline only, both (every hours_gap case is rendered).
    short = [
        dataclasses.replace(base, online_hours=hours, offline_hours=proof)
        for hours, proof in ((25, 0), (23.5, 4), (10, 4))
    ]
    return [base, *short, done, dataclasses.replace(done, audited=True)]


def _template_problems(
    where: str, template: str, renders: Iterable[tuple[object, Callable[[], str]]]
) -> list[str]:
    """Render a template in each sample case; report the first broken reference or over-long short form."""
    for case, render_case in renders:
        try:
            text = render_case()
        except (KeyError, AttributeError, ValueError, IndexError) as exc:
            return [f"{where}：引用了不存在的事实 {exc}（{template!r}）"]
        if where.endswith(".short") and len(text) > SHORT_LIMIT:
            return [f"{where}：{case} 时有 {len(text)} 个字，超过短信上限 {SHORT_LIMIT}：{text}"]
    return []


def _render_record(
    campaign: Campaign, template: str, record: TraineeRecord, rules: HoursRules, moment: dt.datetime
) -> str:
    values = {**MESSAGE_SAMPLES, **record_values(campaign, record, assess(record, rules), moment)}
    return FactFormatter(campaign, values).format(template)


def _check_personal(campaign: Campaign) -> list[str]:
    """Render every personal template and step for sample records: broken references and SMS length."""
    problems = []
    moment = sample_moments(campaign)[1]
    rules = HoursRules.from_campaign(campaign)
    for key, answer in campaign.personal.items():
        for form, template in (("full", answer.full), ("short", answer.short)):
            renders = (
                (record.name, partial(_render_record, campaign, template, record, rules, moment))
                for record in _sample_records()
            )
            problems += _template_problems(f"personal.{key}.{form}", template, renders)
    missing = [step.value for step in Step if step.value not in campaign.steps]
    if missing:
        problems.append(f"steps：缺少步骤 {'、'.join(missing)}")
    return problems
