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
from knowledge.answers import FactFormatter, Form, hours_text, local_date, render
from knowledge.campaign import Answer, Campaign, Detail
from knowledge.hours_rule import HoursWording
from knowledge.posts import post_check
from knowledge.reading import DENIED, DateSpan, HoursMention, Polarity, Reading
from knowledge.status import HoursRules, hours_done

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


def _denies(reading: Reading) -> bool:
    """Whether the question asks "is it true that not …": a fixed verdict is then answered the other way."""
    polarity = reading.polarity
    return (
        DENIED in reading.aspects
        and polarity is not None
        and polarity.asks == "is"
        and polarity.yes in ("是的", "是")
    )


_PROOF = frozenset({"proof_form", "offline", "upload"})  # the offline proof as a step


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
            d.id: (-len(d.aspects) - (d.silent is not None), n) for n, d in enumerate(campaign.details)
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
                    and not ((detail.verdict is not None or detail.compute is not None) and _denies(reading)),
                    detail.compute in _COUNTED,
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
        always = detail.lead_always and (polarity is None or polarity.yes not in _JUDGED)
        if detail.lead is not None and (polarity is None or always or _plain(polarity)):
            polarity = Polarity(detail.lead[0], detail.lead[1])  # asked as a plain question: its own words
        if detail.compute in _COUNTED and polarity and _denies(reading) and "short_claim" in reading.aspects:
            polarity = Polarity(polarity.no, polarity.yes, polarity.asks)  # "是不是还不算合格": turned round
        reply = _Reply(self.campaign, detail, polarity, form, values)
        if values is not self._cache_for:
            self._cache_for, self._cache = values, {}
        key: tuple[Any, ...] | None
        if detail.compute is None:
            key = (detail.id, intent, form, polarity if detail.verdict else None, _denies(reading))
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
_JUDGED = frozenset({"是", "是的", "算"})  # 是不是, 算不算: asked whether it is so, answered in those words


def _own_reply(detail: Detail) -> bool:
    """Whether a detail says something of its own (small talk has no topic answer to lead): "证丢了" is no
    goodbye, "这个通知的文号是多少" no question about the bot."""
    return detail.silent is not None or detail.answer is not None or detail.compute is not None


def _plain(polarity: Polarity) -> bool:
    """A yes/no form with no words of its own: "要…吗", a bare "…吗", or the generic 是的/不是 of "…吧"."""
    return polarity.asks in ("need", "plain")


class _Reply:
    """Render one detail for one message."""

    def __init__(
        self,
        campaign: Campaign,
        detail: Detail,
        polarity: Polarity | None,
        form: Form,
        values: Mapping[str, str],
    ) -> None:
        self.campaign = campaign
        self.detail = detail
        self.polarity = polarity
        self.form = form
        self.values = values

    def _format(self, template: str, **extra: Any) -> str:
        return FactFormatter(self.campaign, {**self.values, **extra}).format(template)

    def _pick(self, answer: Answer, form: Form | None = None) -> str:
        return answer.pick(form or self.form)

    def lead(self, verdict: bool | None) -> str:
        """ "可以。" / "不够。" when a yes/no question gets a verdict, otherwise nothing."""
        if verdict is None or self.polarity is None:
            return ""
        word = self.polarity.yes if verdict else self.polarity.no
        return self._format(self._pick(self.campaign.composed["lead"]), word=word)

    def say(self, key: str, *, verdict: bool | None = None, form: Form | None = None, **extra: Any) -> str:
        """Render a ``composed`` entry with the lead for ``verdict``."""
        template = self._pick(self.campaign.composed[key], form)
        return self._format(template, lead=self.lead(verdict), **extra)

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
        if verdict is not None and _denies(reading):
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
            over = ("closed" in reading.aspects) != _denies(reading)
            # "还能确认吗": asked of today
            span = reading.dates[0] if reading.dates else DateSpan(today, today, "现在")
            return when.confirmation_on(self.campaign, span, today, self.say, every, over)[0]
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
        if compute == "hours_check" and reading.hours is not None:
            still = "still" in reading.aspects
            hours = reading.hours
            if "online_required" in reading.aspects and hours.online is not None:
                # "线下有15学时，线上还要学满20吗": needed when no way of the rule takes fewer online hours
                return self._hours_check(hours, still, needed=hours.online <= self._rules().least("online"))
            if "offline_required" in reading.aspects:
                # "线上20个的话，证明要满12个学时啵": the way with proof is the one asked of when the proof is
                # uploaded ("上传的证明要满12吗") or the online hours stated fall short of the online-only way
                # or the least proof is asked with no online hours of one's own ("线下证明最少要12个 对吧")
                rules, asked_of = self._rules(), reading.aspects
                least = hours.online is None and "rule_minimum" in asked_of
                with_proof = "upload" in asked_of or least or (hours.online or rules.yearly) < rules.yearly
                asked = hours.offline or rules.offline_proof_min
                return self._hours_check(hours, still, needed=asked <= rules.least("offline", with_proof))
            if (
                "upload" in reading.aspects
                and hours.online is not None
                and reading.polarity is not None
                and reading.polarity.asks == "need"
            ):
                # "线上32 另外线下还有5个，证明要不要传": the proof is needed only below the online-only way
                return self._hours_check(hours, still, needed=hours.online < self._rules().yearly)
            online_only = "online_only" in reading.aspects
            if (
                hours.online is None
                and hours.offline is None
                and (online_only or (still and _PROOF.intersection(reading.aspects)))
            ):
                # "学满32学时还要上传线下证明吗": the proof is what is asked for, the hours stated are the online
                # ones; "32个学时能不能全部在网上学完": all of them online
                hours = HoursMention(online=hours.unspecified, parts=(("online", hours.unspecified or 0.0),))
            if "proof_pending" in reading.aspects and hours.offline is not None:
                # "线上28 线下12 但是证明还冇传上去": proof not yet uploaded (or signed, stamped) counts for nothing
                online = tuple(p for p in hours.parts if p[0] != "offline")
                hours = HoursMention(online=hours.online, unspecified=hours.unspecified, parts=online)
                return self._hours_check(hours, still) + self.say("proof_pending")
            return self._hours_check(hours, still)
        if compute == "hours_check_online" and reading.hours is not None and reading.hours.online is not None:
            # "在线学习31学时 没有线下 合格吗", "线上只学了8个，线下有24个": the online hours stated decide it
            return self._hours_check(reading.hours, "still" in reading.aspects)
        if compute == "hours_rule_claim" and reading.hours is not None:
            return self._rule_claim(
                reading.hours, "whole" in reading.aspects, "every_year" in reading.aspects
            )
        if compute == "hours_bound" and reading.bound is not None:  # "线上学时能不能少于20", "…可以超过20吗"
            kind, number, above = reading.bound
            allowed = above or number > self._rules().least(kind)  # "…也不作数咯" asks it the other way
            return self.say("hours_rule_claim", verdict=allowed != _denies(reading))
        if compute == "certificate_year" and reading.years:
            year = max(reading.years)
            inside = year <= self.campaign.facts.audience_until_year
            key = "certificate_year_in" if inside else "certificate_year_out"
            # "今年不学要得啵" asks about leaving it out: yes when the year is not yet due; "当年不用搞" leaves out
            # the year the certificate was obtained, which is never due.
            skip = "skip" in reading.aspects and "same_year_claim" not in reading.aspects
            verdict = inside != skip
            return self.say(key, verdict=verdict, year=str(year), next_year=str(year + 1))
        if compute == "post_check":
            said = post_check(self.campaign.facts.posts, entities, reading.post_words)
            if said is None:
                return None
            key, found = said
            if "verdict" in found:  # "机械员是不是不用搞": a listed post asked as left out is answered 不是
                found = {**found, "verdict": found["verdict"] != _denies(reading)}
            return self.say(key, **found)
        if compute == "fee_total" and reading.people is not None:
            total = reading.people * self.campaign.facts.fee.amount
            # asked to confirm ("6个人一共交600对不对"): yes; a total named otherwise is contradicted after
            return self.say("fee_total", verdict=True, people=str(reading.people), total=hours_text(total))
        return None

    def _hours_check(self, stated: HoursMention, still: bool, needed: bool | None = None) -> str:
        """Whether the hours ``stated`` are enough, and what is missing; ``needed`` is the verdict when the
        question asks whether an amount is required rather than whether it is enough."""
        wording = HoursWording(self.campaign, self.values)
        rules = wording.rules
        if stated.online is None and stated.offline is None:
            total = stated.unspecified or 0.0
            if total < rules.yearly:
                return self.say("hours_check_total_short", verdict=False, total=hours_text(total))
            return self.say("hours_check_depends")
        online, offline = stated.online or 0.0, stated.offline or 0.0
        parts = [
            self._format(self._pick(self.campaign.composed[key]), n=hours_text(value))
            for key, value in (("gap_online", stated.online), ("gap_offline", stated.offline))
            if value is not None
        ]
        said = "、".join(parts)
        enough = hours_done(online, offline, rules)
        if self.polarity is None:  # hours stated, nothing asked in yes/no form: enough or not, first
            composed = self.campaign.composed
            self.polarity = Polarity(self._pick(composed["hours_yes"]), self._pick(composed["hours_no"]))
        # "还要上传证明吗" asks whether more is needed: enough hours answer it with 不用.
        asks_need = self.polarity is not None and self.polarity.asks == "need" and still
        status = wording.status(online, offline, self.form)
        if needed is not None:  # the rule first: the question asks what it requires
            return self.say("hours_required", verdict=needed, stated=said, status=status)
        verdict = enough != asks_need
        if enough:
            return self.say("hours_check_enough", verdict=verdict, stated=said, enough=status)
        return self.say("hours_check_short_of", verdict=verdict, stated=said, two_ways=status)

    def _rule_claim(self, stated: HoursMention, whole: bool, yearly: bool = False) -> str:
        """ "线上最低20个学时对吧", "32学时是线上线下加在一起算的吗": the rule's numbers, not the asker's hours. Yes
        when each is a minimum the rule sets for its kind (the yearly total when the whole is asked)."""
        if stated.online is not None and stated.offline is not None:
            return self._hours_check(stated, False)  # "线下证明有14个，那线上学20个就合格了吧": a sum
        verdict = self._rules().names_minimums(stated.parts, whole, yearly)
        return self.say("hours_rule_claim", verdict=verdict)

    def _rules(self) -> HoursRules:
        return HoursWording(self.campaign, self.values).rules
