"""`jxjy kb check` for mainland SMS: render every outbound kind and check each variable fits the limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from bot.channels.message_fields import FIELD_ERRORS, CampaignFields
from bot.channels.sms_templates import SmsTemplateError, SmsTemplates
from bot.kernel.clock import FixedClock
from knowledge.answers import render
from knowledge.campaign import Campaign
from knowledge.check import sample_moments
from knowledge.status import Step, TraineeRecord
from reminders.gateways import OutboundMessage
from reminders.templates import NAME_LIMIT, SMS_LIMIT, Gap, Wording

# A trainee who has done part of it: every personal value has something to show.
SAMPLE = TraineeRecord(
    trainee_id=1,
    name="测" * NAME_LIMIT,
    id_masked="4306**********1235",
    phone="13800000000",
    posts=("资料员",),
    employer="",
    registered=True,
    confirmed=True,
    confirmed_on=dt.date(2023, 10, 26),
    paid=False,
    online_hours=10,
    offline_hours=4,
    audited=False,
)
_WINDOW = tuple(dt.date(2023, 11, d) for d in range(26, 31))


def _samples(campaign: Campaign, moment: dt.datetime) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """(kind checked, the row's kinds, text) for the longest texts each kind can carry."""
    for intent in campaign.answers:
        for at in sample_moments(campaign):
            yield "reply", ("reply",), render(campaign, intent, at, form="short", extra={"suggestions": ""})
    yield "broadcast", ("broadcast",), "测" * SMS_LIMIT
    wording = Wording(campaign)
    hours = Gap("hours_shortfall", online=19.5, offline=11.5)
    countdown = Gap("deadline", days_left=30, next_step=Step.PAY)
    singles = (
        Gap("registration"),
        Gap("confirmation_window", window_days=_WINDOW, window_opens_today=True),
        Gap("payment_due"),
        hours,
        countdown,
    )
    name = SAMPLE.name
    for gap in singles:
        yield gap.kind, (gap.kind,), wording.render(name, (gap,))
    for digest in ((Gap("registration"), countdown), (singles[1], hours, countdown), (singles[2], hours)):
        kinds = tuple(g.kind for g in digest)
        yield "+".join(kinds), kinds, wording.render(name, digest)


def check_sms_templates(templates: SmsTemplates, campaign: Campaign) -> list[str]:
    """Every problem: a kind without a template, a broken variable, a variable longer than the limit."""
    moment = sample_moments(campaign)[1]
    fields = CampaignFields(campaign, lambda _id: SAMPLE, FixedClock(moment))
    problems: dict[tuple[str, str], str] = {}
    worst: dict[tuple[str, str], int] = {}
    for kind, kinds, text in _samples(campaign, moment):
        try:
            template = templates.template_for(kinds)
        except SmsTemplateError as exc:
            problems.setdefault((kind, ""), f"sms templates: {exc}")
            continue
        trainee = None if kind in ("reply", "broadcast") else SAMPLE.trainee_id
        msg = OutboundMessage("0", "sms", SAMPLE.phone or "", text, kinds, trainee)
        for name, spec in template.variables:
            where = f"sms templates: {kind} (template {template.code}), variable {name}"
            try:
                value = fields.render(spec, msg)
            except FIELD_ERRORS as exc:
                problems.setdefault((kind, name), f"{where}: broken reference {exc} in {spec!r}")
                continue
            limit = templates.max_length
            if limit is not None and len(value) > limit and len(value) > worst.get((kind, name), 0):
                worst[(kind, name)] = len(value)
                problems[(kind, name)] = (
                    f"{where}: {len(value)} characters (limit {limit}), e.g. {_head(value)!r}; "
                    "use a template with shorter variables for this kind"
                )
    return [problems[key] for key in sorted(problems)]


def _head(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[:size] + "…"
