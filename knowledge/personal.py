"""Render replies about a trainee's own record: pure, from the campaign file, the record and ``now``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from knowledge.answers import FactFormatter, Form, date_values, hours_text, local_date
from knowledge.campaign import Campaign
from knowledge.hours_rule import HoursWording
from knowledge.status import Assessment, HoursRules, TraineeRecord, assess


def record_values(
    campaign: Campaign, record: TraineeRecord, assessment: Assessment, now: dt.datetime
) -> dict[str, str]:
    """Every value a personal template may name, computed once."""
    values = date_values(campaign, now)
    short = assessment.shortfall
    values.update(
        name=record.name,
        id_masked=record.id_masked,
        online_hours=hours_text(record.online_hours),
        offline_hours=hours_text(record.offline_hours),
        short_online=hours_text(short.online),
        short_offline=hours_text(short.offline),
        confirmed_on=f"（{record.confirmed_on.month}月{record.confirmed_on.day}日）"
        if record.confirmed_on
        else "",
    )
    values["confirmation_outlook_inline"] = values["confirmation_outlook_short"].rstrip("。")
    fmt = FactFormatter(campaign, values)
    dyn = campaign.dynamic
    wording = HoursWording(campaign, values)
    values["hours_gap"] = wording.status(record.online_hours, record.offline_hours, "full")
    values["hours_gap_short"] = wording.status(record.online_hours, record.offline_hours, "short")
    steps = [fmt.format(campaign.steps[s.value]) for s in assessment.next_steps]
    values["todo_list"] = "\n".join(f"{n}. {text}" for n, text in enumerate(steps, 1))
    values["next_step"] = steps[0] if steps else ""
    values["remaining"] = fmt.format(dyn["remaining"]["steps" if steps else "done"])
    for flag_set, suffix in ((dyn["flag"], ""), (dyn["flag_short"], "_short")):
        for field, done in (
            ("registered", record.registered),
            ("confirmed", record.confirmed),
            ("paid", record.paid),
            ("audited", record.audited),
        ):
            values[field + suffix] = flag_set["yes" if done else "no"]
    return values


def personal_key(intent: str, record: TraineeRecord, assessment: Assessment) -> str:
    """Choose the personal template that answers ``intent`` for this record."""
    if intent == "my_hours":
        return "hours"
    if intent == "my_qualified":
        if assessment.qualified:
            return "qualified_yes"
        return "qualified_wait_audit" if assessment.hours_done else "qualified_no"
    if intent == "my_todo":
        return "todo" if assessment.next_steps else "todo_none"
    if intent == "my_registration":
        return "registration_yes" if record.registered else "registration_no"
    if intent == "my_payment":
        if record.paid:
            return "payment_yes"
        return "payment_due" if record.confirmed else "payment_after_confirmation"
    if intent == "my_confirmation":
        if record.confirmed:
            return "confirmation_done"
        return "confirmation_todo" if record.registered else "confirmation_register_first"
    return "progress"


def render_personal(
    campaign: Campaign, intent: str, record: TraineeRecord, now: dt.datetime, *, form: Form = "full"
) -> str:
    """Answer a personal intent (``my_hours``, ``my_todo``, …) for ``record`` at ``now``."""
    assessment = assess(record, HoursRules.from_campaign(campaign))
    values = record_values(campaign, record, assessment, now)
    over = local_date(campaign, now) > campaign.facts.period.end
    key = "campaign_over" if over and not assessment.qualified else personal_key(intent, record, assessment)
    answer = campaign.personal[key]
    return FactFormatter(campaign, values).format(answer.pick(form)).strip()


def render_message(
    campaign: Campaign, key: str, now: dt.datetime, *, form: Form = "full", **values: str
) -> str:
    """Render a personal template that needs no record (binding prompts, opt-out confirmations)."""
    return personal_text(campaign, key, form, {**date_values(campaign, now), **values})


def personal_text(campaign: Campaign, key: str, form: Form, values: Mapping[str, str]) -> str:
    """A personal template with ``values`` that already hold today's dates (``date_values``)."""
    return FactFormatter(campaign, values).format(campaign.personal[key].pick(form)).strip()
