"""Replies worked out from the hours a message states or names: whether they are enough and what is missing,
whether an amount is one the rule requires, whether a number is one of the rule's own (pure, from the
campaign file's rule and texts)."""

from __future__ import annotations

from knowledge.answers import hours_text
from knowledge.hours_rule import HoursWording
from knowledge.reading import HoursMention, Polarity, Reading
from knowledge.replying import ReplyBase, denies
from knowledge.status import HoursRules, hours_done


def _both(stated: HoursMention) -> tuple[float, float]:
    """The online and offline hours stated, none counted as 0."""
    return stated.online or 0.0, stated.offline or 0.0


_PROOF = frozenset({"proof_form", "offline", "upload"})  # the offline proof as a step
# the hours named are what the rule is claimed to require ("要…才合格", "线下还要12"), not one's own
_REQUIRED = frozenset({"rule_minimum", "offline_required", "must_reach"})


class HoursReply(ReplyBase):
    """The replies of the hours details (``compute: hours_check`` and the like)."""

    def hours_computed(self, compute: str, reading: Reading) -> str | None:
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
                least = hours.online is None and not asked_of.isdisjoint(("rule_minimum", "minimum"))
                with_proof = "upload" in asked_of or least or (hours.online or rules.yearly) < rules.yearly
                needed = (hours.offline or rules.offline_proof_min) <= rules.least("offline", with_proof)
                if least:  # "线下证明是不是要12个学时以上才算": the rule asked, no hours of the asker's
                    return self.say("hours_rule_claim", verdict=needed)
                return self._hours_check(hours, still, needed=needed)
            if (
                "upload" in reading.aspects
                and "uploaded" not in reading.aspects
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
            required = not _REQUIRED.isdisjoint(reading.aspects)
            return self._rule_claim(
                reading.hours, "whole" in reading.aspects, "every_year" in reading.aspects, required
            )
        if compute == "hours_bound" and reading.bound is not None:  # "线上学时能不能少于20", "…可以超过20吗"
            kind, number, above = reading.bound
            allowed = above or number > self._rules().least(kind)  # "…也不作数咯" asks it the other way
            return self.say("hours_rule_claim", verdict=allowed != denies(reading))
        if (
            compute == "hours_each" and reading.hours is not None and reading.hours.each
        ):  # "小刘线上32，老周线上20线下12，小陈…": each in turn
            wording = HoursWording(self.campaign, self.values)
            each = [
                self.say(
                    "hours_each_one",
                    who=who,
                    stated=self._stated(h),
                    status=wording.status(*_both(h), self.form),
                )
                for who, h in reading.hours.each
            ]
            # "两个都够了吧": yes when every one has enough
            enough = all(hours_done(*_both(h), wording.rules) for _, h in reading.hours.each)
            return self.say("hours_each", verdict=enough if self.polarity else None, each="".join(each))
        return None

    def _stated(self, stated: HoursMention) -> str:
        """ "线上20学时、线下证明12学时": the hours stated, kind by kind."""
        return "、".join(
            self._format(self._pick(self.campaign.composed[key]), n=hours_text(value))
            for key, value in (("gap_online", stated.online), ("gap_offline", stated.offline))
            if value is not None
        )

    def _hours_check(self, stated: HoursMention, still: bool, needed: bool | None = None) -> str:
        """Whether the hours ``stated`` are enough, and what is missing; ``needed`` is the verdict when the
        question asks whether an amount is required rather than whether it is enough."""
        wording = HoursWording(self.campaign, self.values)
        rules = wording.rules
        if stated.online is None and stated.offline is None:
            total = stated.unspecified or 0.0
            if total < rules.yearly:
                missing = hours_text(rules.yearly - total)
                return self.say(
                    "hours_check_total_short", verdict=False, total=hours_text(total), missing=missing
                )
            return self.say("hours_check_depends")
        online, offline = _both(stated)
        said = self._stated(stated)
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

    def _rule_claim(
        self, stated: HoursMention, whole: bool, yearly: bool = False, required: bool = False
    ) -> str:
        """ "线上最低20个学时对吧", "32学时是线上线下加在一起算的吗": the rule's numbers, not the asker's hours. Yes
        when each is a minimum the rule sets for its kind (the yearly total when the whole is asked); both kinds
        ``required`` ("是不是要线上32加线下12一共44个才合格"): yes only for the mixed way's two minimums."""
        if stated.online is not None and stated.offline is not None:
            if required:
                rules = self._rules()
                verdict = (stated.online, stated.offline) == (rules.online_min, rules.offline_proof_min)
                return self.say("hours_rule_claim", verdict=verdict)
            return self._hours_check(stated, False)  # "线下证明有14个，那线上学20个就合格了吧": a sum
        verdict = self._rules().names_minimums(stated.parts, whole, yearly)
        return self.say("hours_rule_claim", verdict=verdict)

    def _rules(self) -> HoursRules:
        return HoursWording(self.campaign, self.values).rules
