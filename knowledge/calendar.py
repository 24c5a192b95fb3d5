"""Confirmation windows and campaign dates by the official Chinese calendar (with adjusted working days)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import chinese_calendar

from knowledge.campaign import Campaign, YearDays

# A campaign's own calendar, hashable so that window computations can be cached.
OwnCalendar = tuple[tuple[int, YearDays], ...]


class CalendarError(Exception):
    """The official calendar has no data for a date the campaign needs."""


def own_calendar(campaign: Campaign) -> OwnCalendar:
    """The campaign file's own holidays and adjusted working days, by year."""
    return tuple(sorted(campaign.calendar.items()))


def package_covers(year: int) -> bool:
    """Tell whether the chinesecalendar package knows ``year``'s holidays."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def uncovered_years(campaign: Campaign) -> list[int]:
    """Years of the campaign period that neither chinesecalendar nor the file's ``calendar:`` covers."""
    period = campaign.facts.period
    years = range(period.start.year, period.end.year + 1)
    return [y for y in years if y not in campaign.calendar and not package_covers(y)]


def is_workday(day: dt.date, own: OwnCalendar = ()) -> bool:
    """Tell whether ``day`` is a working day by the State Council's calendar, adjusted weekends included.

    The chinesecalendar package answers for the years it knows; ``own`` (a campaign file's ``calendar:``)
    for the others.
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        for year, days in own:
            if year == day.year:
                return day in days.workdays or (day.weekday() < 5 and day not in days.holidays)
        raise CalendarError(
            f"the official holiday calendar has no data for {day.year}: upgrade chinesecalendar, or list "
            f"that year's holidays and adjusted working days under `calendar:` in the campaign file"
        ) from exc


@dataclass(frozen=True)
class ConfirmationWindow:
    """The working days among the 26th–30th of one month on which on-site confirmation is held."""

    year: int
    month: int
    days: tuple[dt.date, ...]

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def confirmation_windows(campaign: Campaign) -> list[ConfirmationWindow]:
    """List every month's confirmation window inside the campaign period, skipping months with no working day."""
    period = campaign.facts.period
    conf = campaign.facts.confirmation
    own = own_calendar(campaign)
    return list(_windows(period.start, period.end, conf.first_day, conf.last_day, own))


@functools.lru_cache(maxsize=16)
def _windows(
    start: dt.date, end: dt.date, first_day: int, last_day: int, own: OwnCalendar
) -> tuple[ConfirmationWindow, ...]:
    windows = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        days = []
        for d in range(first_day, last_day + 1):
            try:
                day = dt.date(year, month, d)
            except ValueError:  # February has no 30th
                continue
            if start <= day <= end and is_workday(day, own):
                days.append(day)
        if days:
            windows.append(ConfirmationWindow(year, month, tuple(days)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(windows)


def window_containing(campaign: Campaign, today: dt.date) -> ConfirmationWindow | None:
    """Return the window whose span (first to last working day) contains ``today``."""
    for window in confirmation_windows(campaign):
        if window.days[0] <= today <= window.days[-1]:
            return window
    return None


def next_window(campaign: Campaign, today: dt.date) -> ConfirmationWindow | None:
    """Return the window with a confirmation day on or after ``today``, with only the days still ahead."""
    for window in confirmation_windows(campaign):
        ahead = tuple(d for d in window.days if d >= today)
        if ahead:
            return ConfirmationWindow(window.year, window.month, ahead)
    return None


def days_left(campaign: Campaign, today: dt.date) -> int:
    """Count the days from ``today`` to the deadline, the deadline itself excluded (0 on the last day)."""
    return (campaign.facts.period.end - today).days


def format_days(days: tuple[dt.date, ...], *, short: bool = False) -> str:
    """Write confirmation days the way people say them: 11月27、28、29、30日 (周一至周四)."""
    if not days:
        return ""
    first = days[0]
    numbers = "、".join(str(d.day) for d in days)
    text = f"{first.month}月{numbers}日"
    if short:
        return text
    weekdays = "一二三四五六日"
    return f"{text}（{'、'.join('周' + weekdays[d.weekday()] for d in days)}）"
