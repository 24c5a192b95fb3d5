"""Answer the aspect asked, not the topic's whole text: choose a campaign ``detail`` and compose its reply.

The intent says what a message is about; the reading (``nlu.aspects.Reading``) says which aspect of it is
asked and whether as a yes/no question. The campaign file's ``details`` map the two to a reply: a text of its
own, the notice's silence (with the hotline), a reply worked out from the message (the hours it states, the
day it names, a certificate year, a post), or the intent's own answer — led by the yes/no word the question
asked for when the detail has a verdict. Pure: every fact comes from the campaign file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from knowledge import when
from knowledge.answers import Form, hours_text, local_date, render
from knowledge.campaign import Campaign, Detail
from knowledge.hours_reply import HoursReply
from knowledge.posts import post_check
from knowledge.reading import HOURS, DateSpan, Polarity, Reading
from knowledge.replying import denies

NOT_IN_NOTICE = "ask_not_in_notice"
FALLBACK = "nlu_fallback"
_CACHE_LIMIT = 4096  # replies kept for one day


@dataclass(frozen=True)
class Composed:
    """A reply composed for the aspect asked, and the intent to report for it."""

    text: str
    intent: str
    detail: str
    silent: bool = False
    led: bool = False  # the detail decides the yes/no lead itself (a verdict or a computed reply)
    says_yes: bool = False  # a detail that says yes to any yes/no question about its topic
    # the verdict is worked out from the hours the message states: an amount it names is no claim to check
    counted: bool = False


class Composer:
    """Pick the campaign's most specific detail for (intent, aspects) and render it."""

    def __init__(
        self,
        campaign: Campaign,
        personal_intents: Iterable[str] = (),
        closed_intents: Iterable[str] = (),
        commands: Iterable[str] = (),
    ) -> None:
        self.campaign = campaign
        self._personal = frozenset(personal_intents)
        self._closed = frozenset(closed_intents)  # small talk and commands: only details that name them
        # Commands never get a detail instead; small talk gets the details that say something of their own.
        self._commands = frozenset(commands)
        # The most specific first; what the notice leaves open outranks a general answer of equal weight.
        self._rank = {
            d.id: (-len(d.aspects) - (d.silent is not None) - d.weight, n)
            for n, d in enumerate(campaign.details)
        }
        self._by_intent: dict[str, dict[str, list[Detail]]] = {}
        self._matching: dict[tuple[str, frozenset[str]], list[Detail]] = {}
        # Replies that depend only on the detail, intent, form and lead (or the day asked), for one day's values.
        self._cache_for: Mapping[str, str] | None = None
        self._cache: dict[tuple[Any, ...], str | None] = {}

    def _candidates(self, intent: str) -> dict[str, list[Detail]]:
        """The details that may answer ``intent``, keyed by their first aspect (which must be present)."""
        found = self._by_intent.get(intent)
        if found is None:
            found = {}
            # A personal question gets only the details that name it, and what the notice does not cover.
            for d in self.campaign.details:
                if intent in d.intents or (
                    not d.intents
                    and (intent not in self._closed or (intent not in self._commands and _own_reply(d)))
                    and (intent not in self._personal or d.silent is not None)
                ):
                    found.setdefault(d.aspects[0], []).append(d)
            self._by_intent[intent] = found
        return found

    def matching(self, intent: str, aspects: frozenset[str]) -> list[Detail]:
        """The details that apply, the most specific first (kept: the same few intents and aspects come in
        many messages)."""
        key = (intent, aspects)
        found = self._matching.get(key)
        if found is None:
            candidates = self._candidates(intent)
            found = [
                d
                for aspect in aspects
                for d in candidates.get(aspect, ())
                if all(a in aspects for a in d.aspects) and not any(u in aspects for u in d.unless)
            ]
            found.sort(key=lambda d: self._rank[d.id])
            if len(self._matching) >= _CACHE_LIMIT:
                self._matching.clear()
            self._matching[key] = found
        return list(found)

    def compose(
        self,
        intent: str,
        reading: Reading,
        now: dt.datetime,
        *,
        form: Form,
        values: Mapping[str, str],
        entities: Iterable[Mapping[str, Any]] = (),
    ) -> Composed | None:
        """The reply for the aspect asked, or None when the intent's own answer is the best one."""
        for detail in self.matching(intent, reading.aspects):
            text = self.render_detail(detail, intent, reading, now, form, values, entities)
            if text is not None:
                return Composed(
                    text.strip(),
                    self._reported(intent, detail),
                    detail.id,
                    detail.silent is not None,
                    detail.verdict is not None or detail.compute is not None,
                    detail.broad
                    and not ((detail.verdict is not None or detail.compute is not None) and denies(reading)),
                    # hours the message states are the asker's: a detail about them names no rule's number
                    detail.compute in _COUNTED or HOURS in detail.aspects or _counting(detail, reading),
                )
        return None

    def render_detail(
        self,
        detail: Detail,
        intent: str,
        reading: Reading,
        now: dt.datetime,
        form: Form,
        values: Mapping[str, str],
        entities: Iterable[Mapping[str, Any]] = (),
    ) -> str | None:
        """Render one detail for a reading; None when it has nothing to say for it (no date, no post)."""
        polarity = reading.polarity
        always = detail.lead_always and (
            polarity is None or not _JUDGED.issuperset((polarity.yes, polarity.no))
        )
        if detail.lead is not None and (polarity is None or always or _plain(polarity)):
            polarity = Polarity(detail.lead[0], detail.lead[1])  # asked as a plain question: its own words
        if detail.compute in _COUNTED and polarity and denies(reading, "short_claim"):
            polarity = Polarity(polarity.no, polarity.yes, polarity.asks)  # "是不是还不算合格": turned round
        reply = _Reply(self.campaign, detail, polarity, form, values)
        if values is not self._cache_for:
            self._cache_for, self._cache = values, {}
        key: tuple[Any, ...] | None
        if detail.compute is None:
            key = (detail.id, intent, form, polarity if detail.verdict else None, denies(reading))
        elif detail.compute == "confirmation_date" and reading.dates:
            # worked out from the calendar for the day asked and how it is asked (its aspects and lead)
            # alone: the same for every message naming that day so
            today = local_date(self.campaign, now)
            key = (detail.id, reading.dates[0], today, reading.aspects, polarity, form)
        else:
            return reply.render(intent, reading, now, list(entities))
        if key not in self._cache:
            text = reply.render(intent, reading, now, list(entities))
            if len(self._cache) >= _CACHE_LIMIT:
                return text  # days named in messages are many only when someone tries them all
            self._cache[key] = text
        return self._cache[key]

    def _reported(self, intent: str, detail: Detail) -> str:
        """The intent to report: the notice's silence, else the topic understood (or the detail's own).

        A silence marked ``partial`` (the notice answers the question but for one point) keeps the topic.
        """
        topic = intent in self.campaign.answers and intent not in (NOT_IN_NOTICE, FALLBACK)
        if detail.silent is not None:
            return intent if detail.silent.partial and topic else NOT_IN_NOTICE
        if topic or intent in self._personal:
            return intent
        return detail.report or (detail.intents[0] if detail.intents else intent)


_COUNTED = frozenset({"hours_check", "hours_check_online"})
# 是不是, 算不算: asked whether it is so, answered in those words (not "是的…吧" answered 还没有)
_JUDGED = frozenset({"是", "是的", "算", "不是", "不算"})
_COUNTS = "counted"  # the aspect of a question whether something counts ("能不能算进学时")


def _counting(detail: Detail, reading: Reading) -> bool:
    """Whether a detail's fixed verdict is about hours the message states ("公司组织了一次8学时的培训，能不能算进
    学时"): the asker's hours, no claim about the rule's numbers."""
    return detail.verdict is not None and HOURS in reading.aspects and _COUNTS in detail.aspects


def _own_reply(detail: Detail) -> bool:
    """Whether a detail says something of its own (small talk has no topic answer to lead): "证丢了" is no
    goodbye, "这个通知的文号是多少" no question about the bot."""
    return detail.silent is not None or detail.answer is not None or detail.compute is not None


def _plain(polarity: Polarity) -> bool:
    """A yes/no form with no words of its own: "要…吗", a bare "…吗", or the generic 是的/不是 of "…吧"."""
    return polarity.asks in ("need", "plain")


class _Reply(HoursReply):
    """Render one detail for one message."""

    def render(
        self, intent: str, reading: Reading, now: dt.datetime, entities: list[Mapping[str, Any]]
    ) -> str | None:
        detail = self.detail
        if detail.silent is not None:
            known = self._format(detail.silent.known) if detail.silent.known else ""
            known_text = self.say("silent_known", known=known) if known else ""
            return self.say("silent", topic=self._format(detail.silent.topic), known=known_text)
        if detail.compute is not None:
            return self._computed(detail.compute, reading, local_date(self.campaign, now), entities)
        verdict = None if detail.verdict is None else detail.verdict == "yes"
        if verdict is not None and denies(reading):
            verdict = not verdict  # "线下培训不算学时，是真的吗": 不是, the notice says they count
        if detail.answer is not None:
            body = self._format(self._pick(detail.answer))
        else:
            # the fallback is no answer of its own (it needs the suggestions offered): the detail's topic is
            own = intent if intent in self.campaign.answers and intent != FALLBACK else detail.report
            if own is None or own == FALLBACK or own not in self.campaign.answers:
                return None
            body = render(self.campaign, own, now, form=self.form, dates=self.values)
        return self.lead(verdict) + body

    def _computed(
        self, compute: str, reading: Reading, today: dt.date, entities: list[Mapping[str, Any]]
    ) -> str | None:
        if compute == "confirmation_date" and (reading.dates or "still_now" in reading.aspects):
            every = "every_day" in reading.aspects  # "26到30号都能去吗": each day of it
            # "这个月的确认是不是已经过了": yes when none is left; "周六周日不行是吧" asks it the other way round
            over = ("closed" in reading.aspects and "time_left" not in reading.aspects) != denies(reading)
            # "还能确认吗": asked of today
            span = reading.dates[0] if reading.dates else DateSpan(today, today, "现在")
            weekend = "weekend_word" in reading.aspects and not span.single
            return when.confirmation_on(self.campaign, span, today, self.say, every, over, weekend)[0]
        if compute == "confirmation_last" and reading.dates:
            return when.confirmation_last(self.campaign, reading.dates[0], today, self.say)[0]
        if compute == "period_now" or (compute == "period_date" and reading.dates):
            # "截止了吗", "开始了吗" with no date: asked of today
            span = reading.dates[0] if reading.dates else DateSpan(today, today, "现在")
            claim = "closed" if "closed" in reading.aspects else "open"
            if "last_day" in reading.aspects:
                claim = "last_day"
            elif "first_day" in reading.aspects:
                claim = "first_day"
            return when.period_on(self.campaign, span, today, claim, self.say)[0]
        hours = self.hours_computed(compute, reading)
        if hours is not None:
            return hours
        if compute == "certificate_year" and reading.years:
            year = max(reading.years)
            inside = year <= self.campaign.facts.audience_until_year
            key = "certificate_year_in" if inside else "certificate_year_out"
            # "今年不学要得啵" asks about leaving it out: yes when the year is not yet due; "当年不用搞" leaves out
            # the year the certificate was obtained, which is never due.
            # "…要明年才开始学，是吗" claims it is not yet due, as a skip does.
            skip = "starts_later" in reading.aspects or (
                "skip" in reading.aspects and "same_year_claim" not in reading.aspects
            )
            # "只有2022年新取证的才要搞，以前拿证的不用，冇错吧" claims it not due too ("2022年当年不用搞" denies
            # only the year of the certificate itself, never due)
            not_due = skip or (denies(reading) and "same_year_claim" not in reading.aspects)
            # "2023年刚考的证，明年开始要搞吧": next year is due whatever the year, unless claimed not yet due
            due = ("next_year" in reading.aspects and not skip) or inside
            verdict = due != not_due
            return self.say(key, verdict=verdict, year=str(year), next_year=str(year + 1))
        if compute == "post_check":
            said = post_check(self.campaign.facts.posts, entities, reading.post_words)
            if said is None:
                return None
            key, found = said
            if "verdict" in found:  # "机械员是不是不用搞": a listed post asked as left out is answered 不是
                found = {**found, "verdict": found["verdict"] != denies(reading)}
            return self.say(key, **found)
        if compute == "fee_total" and reading.people is not None:
            total = reading.people * self.campaign.facts.fee.amount
            # asked to confirm ("6个人一共交600对不对"): yes; a total named otherwise is contradicted after
            return self.say("fee_total", verdict=True, people=str(reading.people), total=hours_text(total))
        return None
