"""The injected clock: every date-dependent path asks a Clock, never the system directly."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Tell the current moment as a timezone-aware datetime."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real clock, in Asia/Shanghai."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(SHANGHAI)


class FixedClock:
    """A clock stopped at one moment (``--now`` and tests); ``advance`` moves it forward."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime, e.g. 2023-11-24T10:00:00+08:00")
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta


def parse_now(value: str | None) -> Clock:
    """Build the clock for a ``--now`` option: fixed when given (naive values are read as Asia/Shanghai)."""
    if not value:
        return SystemClock()
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--now {value!r} is not ISO-8601, e.g. 2023-11-24T10:00:00+08:00") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=SHANGHAI)
    return FixedClock(at)
