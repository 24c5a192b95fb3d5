"""Render an answer from the campaign file at a given moment: pure, no I/O."""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from knowledge import calendar
from knowledge.campaign import Campaign

Form = Literal["full", "short"]


# The parsed form of each template (literal text, field, spec, conversion): string.Formatter parses a
# template again at each call, and several are filled in for every answer. Templates come from the campaign
# file (a few hundred); the bound only guards against templates built from messages.
_PARSED: dict[str, list[tuple[str, str | None, str | None, str | None]]] = {}
_PARSED_LIMIT = 4096


class FactFormatter(string.Formatter):
    """Resolve ``{fee.amount}`` as a dotted fact path, ``{today}`` from the computed values."""

    def __init__(self, campaign: Campaign, values: Mapping[str, Any]) -> None:
        self._campaign = campaign
        self._values = values

    def format(self, format_string: str, /, *args: Any, **kwargs: Any) -> str:
        """What ``string.Formatter.format`` gives, from the template parsed once: named fields with plain
        specs are filled in here, anything else (positional or nested fields) by the standard way."""
        parsed = _PARSED.get(format_string)
        if parsed is None:
            parsed = list(self.parse(format_string))
            if len(_PARSED) < _PARSED_LIMIT:
                _PARSED[format_string] = parsed
        out = []
        for literal, field, spec, conversion in parsed:
            out.append(literal)
            if field is None:
                continue
            if not field or field[0].isdigit() or "{" in (spec or "") or "}" in (spec or ""):
                return super().format(format_string, *args, **kwargs)
            value = self.convert_field(self.get_field(field, args, kwargs)[0], conversion)
            out.append(self.format_field(value, spec or ""))
        return "".join(out)

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if field_name in self._values:
            return self._values[field_name], field_name
        value = self._campaign.fact(field_name)
        if isinstance(value, tuple):
            value = "、".join(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        return value, field_name


def hours_text(value: float) -> str:
    """Write hours the way people do: 8 and 7.5, never 8.0."""
    return f"{value:g}"


def local_date(campaign: Campaign, now: dt.datetime) -> dt.date:
    """Return the campaign's local date at ``now`` (an aware datetime)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(campaign.tz).date()


def _confirmation_state(campaign: Campaign, today: dt.date) -> tuple[str, dict[str, str]]:
    upcoming = calendar.next_window(campaign, today)
    if upcoming is None:
        return "over", {}
    values = {
        "next_window": calendar.format_days(upcoming.days),
        "next_window_short": calendar.format_days(upcoming.days, short=True),
    }
    if upcoming.days[0] == today:
        rest = upcoming.days[1:]
        values["today_more"] = (
            f"本月还有{calendar.format_days(rest, short=True)}。" if rest else "也是本月最后一个确认日。"
        )
        return "today", values
    windows = calendar.confirmation_windows(campaign)
    first = windows[0].days[0]
    return ("before" if today < first else "upcoming"), values


def _period_state(campaign: Campaign, today: dt.date) -> tuple[str, dict[str, str]]:
    period = campaign.facts.period
    values = {
        "days_left": str(calendar.days_left(campaign, today)),
        "days_to_start": str((period.start - today).days),
    }
    if today < period.start:
        return "before", values
    if today > period.end:
        return "over", values
    if today == period.end:
        return "last_day", values
    return "running", values


class _Rules(Mapping[str, str]):
    """The ``rules`` lines, each formatted on first use; a line may name the facts and other lines."""

    def __init__(self, campaign: Campaign) -> None:
        self._campaign = campaign
        self._done: dict[str, str] = {}
        self._busy: set[str] = set()

    def __getitem__(self, name: str) -> str:
        if name not in self._done:
            if name in self._busy:
                raise ValueError(f"rules.{name} names itself")
            self._busy.add(name)
            self._done[name] = FactFormatter(self._campaign, self).format(self._campaign.rules[name])
            self._busy.discard(name)
        return self._done[name]

    def __contains__(self, name: object) -> bool:
        return name in self._campaign.rules

    def __iter__(self) -> Iterator[str]:
        return iter(self._campaign.rules)

    def __len__(self) -> int:
        return len(self._campaign.rules)


def rule_values(campaign: Campaign) -> dict[str, str]:
    """The hours rule's sentences (``{hours_rule}``, ``{route_mixed}``, ...), stated once for every reply."""
    return dict(_Rules(campaign))


def date_values(campaign: Campaign, now: dt.datetime) -> dict[str, str]:
    """Compute every date-dependent value and sentence the answers may name (and the hours rule's)."""
    today = local_date(campaign, now)
    values: dict[str, str] = {"today": f"{today.month}月{today.day}日", **rule_values(campaign)}
    for name, state_of in (("confirmation_outlook", _confirmation_state), ("period_outlook", _period_state)):
        state, computed = state_of(campaign, today)
        values.update(computed)
        formatter = FactFormatter(campaign, values)
        for suffix in ("", "_short"):
            template = campaign.dynamic[name + suffix][state]
            values[name + suffix] = formatter.format(template)
    return values


def render(
    campaign: Campaign,
    intent: str,
    now: dt.datetime,
    *,
    form: Form = "full",
    extra: Mapping[str, str] | None = None,
    dates: Mapping[str, str] | None = None,
) -> str:
    """Render the answer for ``intent`` in ``form``; ``extra`` supplies values such as ``suggestions``.

    ``dates`` is ``date_values(campaign, now)`` when the caller already has it for today.
    """
    answer = campaign.answers[intent]
    template = answer.pick(form)
    values = {**(date_values(campaign, now) if dates is None else dates), **(extra or {})}
    return FactFormatter(campaign, values).format(template).strip()


def suggested_intents(campaign: Campaign, intents: list[str], *, limit: int = 3) -> list[str]:
    """Choose up to ``limit`` topics to offer: the closest ones first, then the most asked."""
    chosen = [i for i in intents if i in campaign.labels][:limit]
    for default in ("ask_registration", "ask_confirmation_time", "ask_hours", "ask_fee"):
        if len(chosen) >= limit:
            break
        if default not in chosen:
            chosen.append(default)
    return chosen


def suggestions(campaign: Campaign, intents: list[str], *, limit: int = 3) -> str:
    """List the topics behind ``intents`` as numbered choices, falling back to the most asked topics."""
    chosen = suggested_intents(campaign, intents, limit=limit)
    return "\n".join(f"{n}. {campaign.labels[i]}" for n, i in enumerate(chosen, 1))
