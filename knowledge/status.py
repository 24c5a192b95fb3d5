"""The qualification rule and a trainee's next steps, as pure functions of a record and the hours rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.campaign import Campaign


@dataclass(frozen=True)
class TraineeRecord:
    """One trainee as the ledger knows them; the ID number is only ever carried masked."""

    trainee_id: int
    name: str
    id_masked: str
    phone: str | None
    posts: tuple[str, ...]
    employer: str
    registered: bool
    confirmed: bool
    confirmed_on: dt.date | None
    paid: bool
    online_hours: float
    offline_hours: float
    audited: bool
    opted_out: bool = False


class Step(StrEnum):
    """What a trainee still has to do, in the notice's order."""

    REGISTER = "register"
    CONFIRM = "confirm"
    PAY = "pay"
    STUDY_ONLINE = "study_online"
    UPLOAD_PROOF = "upload_proof"
    AUDIT = "audit"


@dataclass(frozen=True)
class HoursRules:
    """The yearly hours: ``yearly`` online, or ``online_min`` online plus ``offline_proof_min`` proven."""

    yearly: float
    online_min: float
    offline_proof_min: float

    @classmethod
    def from_campaign(cls, campaign: Campaign) -> HoursRules:
        """Take the rules from a campaign's ``facts.hours``."""
        hours = campaign.facts.hours
        return cls(
            yearly=float(hours.yearly),
            online_min=float(hours.online_min),
            offline_proof_min=float(hours.offline_proof_min),
        )

    def least(self, kind: str, with_proof: bool = False) -> float:
        """The fewest hours of ``kind`` (online, offline, or the year's total) some way of the rule takes: the
        online-only way takes no proof. ``with_proof``: the way with the offline proof only."""
        offline = self.offline_proof_min if with_proof else 0.0
        return {"online": self.online_min, "offline": offline}.get(kind, self.yearly)

    def names_minimums(self, parts: Iterable[tuple[str, float]], whole: bool, yearly: bool) -> bool:
        """Whether each number stated (``parts``: kind and hours) is a minimum the rule sets for its kind: the
        yearly total too for any kind when the message speaks of the ``whole``; hours of no kind said of the
        year (``yearly``) are the year's total."""
        minimums = {
            "online": {self.online_min},
            "offline": {self.offline_proof_min},
            "unspecified": {self.yearly, self.online_min, self.offline_proof_min},
        }
        if whole:
            minimums = {kind: {*values, self.yearly} for kind, values in minimums.items()}
        if yearly:
            minimums["unspecified"] = {self.yearly}
        return all(value in minimums[kind] for kind, value in parts)


@dataclass(frozen=True)
class Shortfall:
    """Hours still missing on the cheaper path to qualification."""

    online: float
    offline: float

    @property
    def total(self) -> float:
        return self.online + self.offline


@dataclass(frozen=True)
class Assessment:
    """Where a trainee stands: hours complete, qualified, what is missing, and what to do next."""

    hours_done: bool
    qualified: bool
    shortfall: Shortfall
    next_steps: tuple[Step, ...]


def shortfall(online: float, offline: float, rules: HoursRules) -> Shortfall:
    """Return the hours missing on the cheaper path; on a tie prefer online only (nothing to upload)."""
    mixed = Shortfall(
        online=max(0.0, rules.online_min - online),
        offline=max(0.0, rules.offline_proof_min - offline),
    )
    online_only = Shortfall(online=max(0.0, rules.yearly - online), offline=0.0)
    return online_only if online_only.total <= mixed.total else mixed


def hours_done(online: float, offline: float, rules: HoursRules) -> bool:
    """Tell whether the hours meet either of the notice's two conditions."""
    return (online >= rules.online_min and offline >= rules.offline_proof_min) or online >= rules.yearly


def assess(record: TraineeRecord, rules: HoursRules) -> Assessment:
    """Assess a record: hours, qualification (hours done and audited) and the ordered next steps."""
    done = hours_done(record.online_hours, record.offline_hours, rules)
    missing = shortfall(record.online_hours, record.offline_hours, rules)
    steps: list[Step] = []
    if not record.registered:
        steps.append(Step.REGISTER)
    if not record.confirmed:
        steps.append(Step.CONFIRM)
    if not record.paid:
        steps.append(Step.PAY)
    if missing.online > 0:
        steps.append(Step.STUDY_ONLINE)
    if missing.offline > 0:
        steps.append(Step.UPLOAD_PROOF)
    if done and not record.audited:
        steps.append(Step.AUDIT)
    return Assessment(
        hours_done=done,
        qualified=done and record.audited,
        shortfall=missing,
        next_steps=tuple(steps),
    )
