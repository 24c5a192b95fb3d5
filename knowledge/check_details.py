"""`jxjy kb check` for the composed replies: every detail rendered for sample messages, in both forms.

A detail names aspects (from ``nlu/data/aspects.yml``) and intents; its reply is rendered for a reading
that has those aspects, as a yes/no question, with sample dates, hours, years and a post, at every sample
moment — so a broken reference or an SMS reply longer than two segments shows up here, not in a chat.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterable

from knowledge.answers import Form, date_values, rule_values
from knowledge.campaign import Campaign
from knowledge.details import FALLBACK, NOT_IN_NOTICE, Composer
from knowledge.reading import DateSpan, HoursMention, Polarity, Reading

# A composed SMS reply (a yes/no lead, a gap, a date) may take two UCS-2 segments.
SMS_TWO_SEGMENTS = 134
SAMPLE_HOURS = (
    HoursMention(online=20.0),
    HoursMention(online=25.0, offline=4.0),
    HoursMention(online=20.0, offline=12.0),
    HoursMention(online=35.0),
    HoursMention(unspecified=30.0),
    HoursMention(unspecified=40.0),
)
SAMPLE_POLARITY = (None, Polarity("可以", "不可以"), Polarity("要", "不用", "need"))


def _spans(moment: dt.datetime) -> list[DateSpan]:
    today = moment.date()
    return [
        DateSpan(today, today, "今天"),
        DateSpan(today + dt.timedelta(days=3), today + dt.timedelta(days=3), "11月28号"),
        DateSpan(today, today + dt.timedelta(days=30), "这个月"),
    ]


def _readings(
    aspects: Iterable[str], moment: dt.datetime, post: str
) -> list[tuple[Reading, list[dict[str, str]]]]:
    base = frozenset(aspects) | {"yesno"}
    readings = []
    for polarity in SAMPLE_POLARITY:
        for n, (hours, span) in enumerate(zip(SAMPLE_HOURS, _spans(moment) * 2, strict=True)):
            reading = Reading(base, polarity, (span,), hours, (2020,) if n % 2 else (2023,))
            readings.append((reading, [{"entity": "post", "value": post}]))
    return readings


def check_details(campaign: Campaign, moments: list[dt.datetime]) -> list[str]:
    """Problems with the rules, the composed wording and every detail's reply (empty when fine)."""
    try:
        rule_values(campaign)
    except (KeyError, AttributeError, ValueError, IndexError) as exc:
        return [f"rules：引用了不存在的事实 {exc}"]
    # two details of one id: one would take the other's place in the order of answers
    counted = Counter(d.id for d in campaign.details)
    problems = [
        f"details.{name}：这个 id 出现了不止一次，请改成不同的名字" for name, n in counted.items() if n > 1
    ]
    composer = Composer(campaign)
    for detail in campaign.details:
        problems += _render_problems(campaign, composer, detail.id, moments)
    return problems


def check_detail_names(campaign: Campaign, aspects: Iterable[str], intents: Iterable[str]) -> list[str]:
    """Details that name an aspect the NLU does not read, or an intent it does not produce."""
    known_aspects, known_intents = set(aspects), set(intents)
    problems = []
    for detail in campaign.details:
        unknown = [a for a in (*detail.aspects, *detail.unless) if a not in known_aspects]
        if unknown:
            problems.append(
                f"details.{detail.id}：没有这个方面 {'、'.join(unknown)}（方面写在 nlu/data/aspects.yml）"
            )
        strange = [i for i in detail.intents if i not in known_intents]
        if strange:
            problems.append(f"details.{detail.id}：没有这个意图 {'、'.join(strange)}")
    return problems


def _render_problems(
    campaign: Campaign, composer: Composer, detail_id: str, moments: list[dt.datetime]
) -> list[str]:
    detail = next(d for d in campaign.details if d.id == detail_id)
    # every intent it may answer: a message the classifier does not place (nlu_fallback) included
    intents = detail.intents or (detail.report or "ask_process", FALLBACK, NOT_IN_NOTICE)
    forms: tuple[Form, ...] = ("full", "short")
    for moment in moments:
        values = date_values(campaign, moment)
        for reading, entities in _readings(detail.aspects, moment, campaign.facts.posts[0]):
            for form, intent in itertools.product(forms, intents):
                try:
                    reply = composer.render_detail(detail, intent, reading, moment, form, values, entities)
                except (KeyError, AttributeError, ValueError, IndexError) as exc:
                    return [f"details.{detail.id}.{form}（{intent}）：引用了不存在的事实 {exc}"]
                if reply is not None and form == "short" and len(reply) > SMS_TWO_SEGMENTS:
                    return [
                        f"details.{detail.id}.short：{moment.date()} 时有 {len(reply)} 个字，"
                        f"超过两条短信的上限 {SMS_TWO_SEGMENTS}：{reply}"
                    ]
    return []
