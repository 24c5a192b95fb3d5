"""What a message asks beyond its topic, as plain values: the NLU's second stage fills them in, the
answer composer (``knowledge.details``) reads them. They live here, below both, so the pure answer side
depends on no language code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class Polarity:
    """The words a yes/no reply starts with, chosen by how the question was asked (能…吗 → 可以/不可以)."""

    yes: str
    no: str
    asks: str = "is"  # "need": the question asks whether more is needed ("还要上传吗")


@dataclass(frozen=True)
class DateSpan:
    """The days from ``first`` to ``last`` (inclusive) that a message names, with the words it used."""

    first: dt.date
    last: dt.date
    words: str
    monthly: bool = False  # "每个月31号": that day of every month, ``first`` its next one

    @property
    def single(self) -> bool:
        return self.first == self.last


@dataclass(frozen=True)
class HoursMention:
    """Hours a message states: online, offline (proven) and hours of no stated kind."""

    online: float | None = None
    offline: float | None = None
    unspecified: float | None = None
    # each number as stated, with its kind ("online", "offline", "unspecified"), before they are summed
    parts: tuple[tuple[str, float], ...] = field(default=(), compare=False)
    # the hours of each of several people named ("小刘线上32，老周线上20线下12"), who first
    each: tuple[tuple[str, HoursMention], ...] = field(default=(), compare=False)

    @property
    def aspects(self) -> tuple[str, ...]:
        """The aspects these hours give a message (``HOURS``, and ``EACH`` or ``BOTH_KINDS``)."""
        if self.each:
            return HOURS, EACH
        return (HOURS, BOTH_KINDS) if self.online is not None and self.offline is not None else (HOURS,)


# Aspects the reader finds by reading, not by a cue of the aspects file.
YESNO = "yesno"  # the message is a yes/no question
DENIED = "denied"  # a yes/no question that states a denial ("线下培训不算学时，是真的吗")
HOURS = "hours_stated"  # the message states hours ("线上学了20学时")
DATES = "dates"  # the message names a date ("明天", "这周五", "11月28号")
YEARS = "certificate_year"  # the message names the year a certificate was obtained
PEOPLE = "people_stated"  # the message counts people ("我们公司40个工人")
EACH = "hours_each"  # the message states the hours of several people ("小刘线上32，老周线上20线下12")
BOTH_KINDS = "hours_both_kinds"  # the message states online and offline hours ("线上十二线下二十")
BOUND = "hours_bound"  # the message asks whether hours of a kind may go below or above a number ("线上能少于20吗")
# Aspects the reader works out itself rather than finds by a cue.
COMPUTED = frozenset({YESNO, HOURS, DATES, YEARS, PEOPLE, BOUND, DENIED, EACH, BOTH_KINDS})


class Reading(NamedTuple):
    """What a message asks beyond its intent: aspects, yes/no form, dates, hours, certificate years.

    A named tuple: one is built for every message, and a tuple is the cheapest immutable value to build.
    """

    aspects: frozenset[str]
    polarity: Polarity | None
    dates: tuple[DateSpan, ...]
    hours: HoursMention | None
    years: tuple[int, ...]
    people: int | None = None  # how many people the message counts ("我们公司40个工人")
    post_words: tuple[str, ...] = ()  # words that name a post, listed or not ("监理员")
    bound: tuple[str, float, bool] | None = None  # hours asked to go below or above ("线上能少于20吗")
