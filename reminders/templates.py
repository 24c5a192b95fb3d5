"""Reminder wording: one phrase per kind (full and short), joined into a digest that fits two SMS segments.

The wording itself lives in the campaign file (``reminders:``), beside the facts it names; this module
joins the phrases and shortens them until the digest fits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from knowledge.answers import FactFormatter, hours_text
from knowledge.calendar import format_days
from knowledge.campaign import Campaign
from knowledge.status import Step

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


# What a reminder phrase may name besides the campaign's facts; filled per trainee.
PER_TRAINEE = ("name", "when", "days", "online", "offline", "gap", "action", "days_left")


class Wording:
    """Render digests from the campaign's ``reminders`` wording; facts are filled once, not per trainee."""

    def __init__(self, campaign: Campaign) -> None:
        texts = campaign.reminders
        # Facts are resolved now; the per-trainee names stay as {placeholders} for str.format later.
        keep = {name: "{" + name + "}" for name in PER_TRAINEE}
        fill = FactFormatter(campaign, keep).format
        self.end = campaign.facts.period.end
        self._greeting = fill(texts.greeting)
        self._tail = fill(texts.tail)
        self._opens_today = fill(texts.opens_today)
        self._phrases: dict[str, tuple[str, str]] = {
            kind: (fill(phrase.full), fill(phrase.short))
            for kind, phrase in (
                ("registration", texts.registration),
                ("confirmation_window", texts.confirmation_window),
                ("payment_due", texts.payment_due),
                ("hours_shortfall", texts.hours_shortfall),
                ("online_action", texts.online_action),
                ("offline_action", texts.offline_action),
                ("deadline", texts.deadline),
                ("last_day", texts.last_day),
            )
        }
        self._online_gap, self._offline_gap = fill(texts.online_gap), fill(texts.offline_gap)
        self._step_phrase = {Step(step): fill(text) for step, text in texts.next_step.items()}
        # Trainees share gaps (the same window, the same countdown): each phrase is formatted once.
        self._phrase_cache: dict[tuple[Gap, bool], str] = {}
        # What follows the greeting depends on the gaps and, through the length limit, the name's length.
        self._body_cache: dict[tuple[int, tuple[Gap, ...]], str] = {}

    def render(self, name: str, gaps: tuple[Gap, ...]) -> str:
        """Join the gaps' phrases under the trainee's name, shortening phrases until the text fits."""
        name = name[:NAME_LIMIT]
        greeting = self._greeting.format(name=name)
        key = (len(name), gaps)
        body = self._body_cache.get(key)
        if body is None:
            body = self._body_cache[key] = self._fit(name, gaps)[len(greeting) :]
        return greeting + body

    def _fit(self, name: str, gaps: tuple[Gap, ...]) -> str:
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
        body = "".join(self._cached_phrase(gap, gap.kind in short) for gap in gaps)
        if len(gaps) == 1 and gaps[0].kind == "deadline" and gaps[0].next_step is not None:
            body += self._step_phrase[gaps[0].next_step]
        return self._greeting.format(name=name) + body + (self._tail if tail else "")

    def _cached_phrase(self, gap: Gap, short: bool) -> str:
        key = (gap, short)
        phrase = self._phrase_cache.get(key)
        if phrase is None:
            phrase = self._phrase_cache[key] = self._phrase(gap, short)
        return phrase

    def _phrase(self, gap: Gap, short: bool) -> str:
        if gap.kind == "confirmation_window":
            when = self._opens_today if gap.window_opens_today else ""
            days = format_days(gap.window_days, short=True)
            return self._phrases["confirmation_window"][short].format(when=when, days=days)
        if gap.kind == "hours_shortfall":
            return self._hours(gap, short)
        if gap.kind == "deadline":
            if gap.days_left <= 0:
                return self._phrases["last_day"][short]
            return self._phrases["deadline"][short].format(days_left=gap.days_left)
        return self._phrases[gap.kind][short]

    def _hours(self, gap: Gap, short: bool) -> str:
        parts, actions = [], []
        if gap.online > 0:
            parts.append(self._online_gap.format(online=hours_text(gap.online)))
            actions.append(self._phrases["online_action"][short])
        if gap.offline > 0:
            parts.append(self._offline_gap.format(offline=hours_text(gap.offline)))
            actions.append(self._phrases["offline_action"][short])
        return self._phrases["hours_shortfall"][short].format(gap="、".join(parts), action="并".join(actions))


def check_wording(campaign: Campaign) -> list[str]:
    """Find broken references in the reminder wording, and digests that cannot fit two SMS segments."""
    hours_gap = Gap("hours_shortfall", online=19.5, offline=11.5)
    window = Gap("confirmation_window", window_days=_FIVE_DAYS, window_opens_today=True)
    countdown = Gap("deadline", days_left=30)
    # The longest digests the policy can make (registration, confirmation and payment exclude each other),
    # the last day, and a countdown alone with each next step: together they use every phrase.
    digests = [
        (Gap("registration"), countdown),
        (window, hours_gap, countdown),
        (Gap("payment_due"), hours_gap, Gap("deadline", days_left=0)),
        *((Gap("deadline", days_left=1, next_step=step),) for step in Step),
    ]
    try:
        wording = Wording(campaign)
        texts = [wording.render("测" * NAME_LIMIT, gaps) for gaps in digests]
    except (KeyError, AttributeError, ValueError, IndexError) as exc:
        return [f"reminders: broken reference {exc}"]
    for text in texts:
        if len(text) > SMS_LIMIT:
            return [f"reminders: {len(text)} characters even in short form (limit {SMS_LIMIT}): {text}"]
    return []


_FIVE_DAYS = tuple(dt.date(2023, 11, d) for d in range(26, 31))
