"""The injected clock: every date-dependent path asks a Clock, never the system directly.

A clock also carries the one time zone of the product, the campaign's (``campaign.timezone``), which the
composition root reads once and hands over; local dates (confirmation days, quiet hours, birth dates) are
taken in it.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Tell the current moment as a timezone-aware datetime, and the time zone local dates are read in."""

    @property
    def tz(self) -> dt.tzinfo: ...

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real clock, telling the time in ``tz``."""

    def __init__(self, tz: dt.tzinfo) -> None:
        self._tz = tz

    @property
    def tz(self) -> dt.tzinfo:
        return self._tz

    def now(self) -> dt.datetime:
        return dt.datetime.now(self._tz)


class FixedClock:
    """A clock stopped at one moment (``--now`` and tests); ``advance`` moves it forward."""

    def __init__(self, at: dt.datetime, tz: dt.tzinfo | None = None) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime, e.g. 2023-11-24T10:00:00+08:00")
        self._tz = tz or at.tzinfo
        self._at = at.astimezone(self._tz)

    @property
    def tz(self) -> dt.tzinfo:
        return self._tz

    def now(self) -> dt.datetime:
        return self._at

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta

    def set(self, at: dt.datetime) -> None:
        """Stop the clock at ``at`` instead (it may go back: `ask --jsonl` lines each carry their moment)."""
        if at.tzinfo is None:
            at = at.replace(tzinfo=self._tz)
        self._at = at.astimezone(self._tz)


def parse_now(value: str | None, tz: dt.tzinfo) -> Clock:
    """Build the clock for a ``--now`` option: fixed when given (naive values are read in ``tz``)."""
    if not value:
        return SystemClock(tz)
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--now {value!r} 不是 ISO-8601 时间，例如 2023-11-24T10:00:00+08:00") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    return FixedClock(at, tz)
