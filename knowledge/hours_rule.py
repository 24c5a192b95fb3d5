"""The hours rule in words: how far given hours are from each way to qualify, the cheaper way first.

General replies ("线上学了20学时够吗") and personal ones ("我还差几个学时") both say it through here, so the two
ways are always stated the same: ≥ online_min online + ≥ offline_proof_min proven, or ≥ yearly online.
"""

from __future__ import annotations

from collections.abc import Mapping

from knowledge.answers import FactFormatter, Form, hours_text
from knowledge.campaign import Campaign
from knowledge.status import HoursRules, Shortfall, hours_done


def ways(
    online: float, offline: float, rules: HoursRules
) -> tuple[tuple[str, Shortfall], tuple[str, Shortfall]]:
    """The two ways to qualify with what each still lacks, the cheaper first (on a tie: online only)."""
    mixed = Shortfall(max(0.0, rules.online_min - online), max(0.0, rules.offline_proof_min - offline))
    online_only = Shortfall(max(0.0, rules.yearly - online), 0.0)
    if online_only.total <= mixed.total:
        return ("online", online_only), ("mixed", mixed)
    return ("mixed", mixed), ("online", online_only)


class HoursWording:
    """Words for the gaps of one campaign, with the values of the moment."""

    def __init__(self, campaign: Campaign, values: Mapping[str, str]) -> None:
        self._campaign = campaign
        self._values = values
        self.rules = HoursRules.from_campaign(campaign)

    def _say(self, key: str, form: Form, **extra: str) -> str:
        answer = self._campaign.composed[key]
        template = answer.pick(form)
        return FactFormatter(self._campaign, {**self._values, **extra}).format(template)

    def route(self, way: str, form: Form) -> str:
        """The way in the rule's own words ("线上学满32学时"); briefly in the short form."""
        name = "route_online" if way == "online" else "route_mixed"
        return self._values[name if form == "full" else f"{name}_brief"]

    def gap(self, way: str, missing: Shortfall, form: Form) -> str:
        """What one way still lacks: "线上2学时、线下证明8学时（线上不少于20学时+…）"."""
        parts = [
            self._say(key, form, n=hours_text(hours))
            for key, hours in (("gap_online", missing.online), ("gap_offline", missing.offline))
            if hours > 0
        ]
        return self._say("gap_route", form, gaps="、".join(parts), route=self.route(way, form))

    def status(self, online: float, offline: float, form: Form) -> str:
        """Enough (and by which way), or what is missing on the cheaper way and on the other."""
        if hours_done(online, offline, self.rules):
            way = "online" if online >= self.rules.yearly else "mixed"
            return self._say("hours_enough", form, route=self.route(way, form))
        (cheap_way, cheap), (other_way, other) = ways(online, offline, self.rules)
        return self._say(
            "hours_two_ways",
            form,
            cheaper=self.gap(cheap_way, cheap, form),
            other=self.gap(other_way, other, form),
        )
