"""Answer "can I go on that day?" from the official calendar: confirmation days and the campaign period.

Pure: the campaign, the span of days asked about (``nlu.dates.DateSpan``), today, and the wording's values.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections.abc import Callable

from knowledge import calendar
from knowledge.campaign import Campaign
from knowledge.reading import DateSpan

WEEKDAYS = "一二三四五六日"
SATURDAY = 5  # date.weekday() of a Saturday

# Render a ``composed`` entry: ``say(key, verdict=..., form=..., **values)``. The caller knows the form and turns
# the verdict into the yes/no lead the question asked for; ``form`` overrides the reply's form for a part.
Say = Callable[..., str]


def day_label(day: dt.date, today: dt.date, words: str = "") -> str:
    """Name a day the way people do: 今天（11月20日，周一） or 11月24日（周五）."""
    plain = f"{day.month}月{day.day}日"
    weekday = f"周{WEEKDAYS[day.weekday()]}"
    if words and not any(ch.isdigit() for ch in words):
        return f"{words}（{plain}，{weekday}）"
    return f"{plain}（{weekday}）"


def _upcoming(campaign: Campaign, today: dt.date) -> list[calendar.ConfirmationWindow]:
    """The confirmation windows that still have a day on or after today, with only those days."""
    windows = []
    for window in calendar.confirmation_windows(campaign):
        ahead = tuple(d for d in window.days if d >= today)
        if ahead:
            windows.append(calendar.ConfirmationWindow(window.year, window.month, ahead))
    return windows


def _nearest(campaign: Campaign, after: dt.date, today: dt.date, say: Say) -> tuple[str, str]:
    """The confirmation days nearest to what was asked: the days still to come in the next window, and
    when the day asked lies beyond it, those of the first window reaching ``after`` (else the last)."""
    upcoming = _upcoming(campaign, today)
    if not upcoming:  # "本年度的资格确认已经结束（最后一个确认日是12月29日）"
        last = f"{calendar.confirmation_windows(campaign)[-1].days[-1]:%Y年%-m月%-d日}"  # with its year: long past
        return say("confirmation_over", form="full", last=last), say(
            "confirmation_over", form="short", last=last
        )
    groups = [upcoming[0].days]
    window = next((w for w in upcoming if w.days[-1] >= after), upcoming[-1])
    if window is not upcoming[0]:
        groups.append(tuple(d for d in window.days if d >= after) or window.days)
    full = say("confirmation_nearest", form="full", days="；".join(calendar.format_days(g) for g in groups))
    short = say(
        "confirmation_nearest",
        form="short",
        days_short="；".join(calendar.format_days(g, short=True) for g in groups),
    )
    return full, short


def _why_closed(campaign: Campaign, day: dt.date) -> str:
    """Why a day has no confirmation when it is a day off: 周末 or 法定节假日 (from the official calendar)."""
    try:
        if calendar.is_workday(day, calendar.own_calendar(campaign)):
            return ""
    except calendar.CalendarError:
        return ""
    return "是周末休息日，" if day.weekday() >= 5 else "是法定节假日，"


def confirmation_on(
    campaign: Campaign,
    span: DateSpan,
    today: dt.date,
    say: Say,
    every: bool = False,
    over: bool = False,
    weekend: bool = False,
) -> tuple[str, bool]:
    """The reply about confirming within ``span``, and whether it can be done then; with ``every``
    ("26到30号都能去吗"), whether it can be done on each of its days; with ``over`` ("这个月的确认是不是已经
    过了"), the verdict answers whether it is over instead; with ``weekend`` ("26号到30号碰到周末也能去吗"),
    whether on a Saturday or Sunday of it (an adjusted working day)."""
    if span.monthly:  # "每个月31号可以去确认吗": the rule's days of every month
        return _monthly(campaign, span, today, say, over)
    days = [
        d
        for window in calendar.confirmation_windows(campaign)
        for d in window.days
        if span.first <= d <= span.last and d >= today
    ]
    nearest, nearest_short = _nearest(campaign, max(span.first, today), today, say)
    label = day_label(span.first, today, span.words)
    short_label = f"{span.first.month}月{span.first.day}日"
    ok = bool(days)
    if span.single:
        key = "confirmation_day_yes" if ok else "confirmation_day_no"
        why = "" if ok else _why_closed(campaign, span.first)
        return say(
            key,
            verdict=ok != over,
            day=label,
            day_short=short_label,
            why=why,
            nearest=nearest,
            nearest_short=nearest_short,
        ), ok
    if ok:
        if every:  # each day of the span from today on must be a confirmation day
            first = max(span.first, today)
            ok = len(days) == (span.last - first).days + 1
        if weekend:
            ok = any(d.weekday() >= SATURDAY for d in days)
        by_month: dict[tuple[int, int], list[dt.date]] = {}
        for d in days:
            by_month.setdefault((d.year, d.month), []).append(d)
        listed = "；".join(calendar.format_days(tuple(ds)) for ds in by_month.values())
        listed_short = "；".join(calendar.format_days(tuple(ds), short=True) for ds in by_month.values())
        return say(
            "confirmation_range_yes",
            verdict=ok != over,
            words=span.words,
            days=listed,
            days_short=listed_short,
            closed=_closed_days(campaign, span, max(span.first, today), days),
        ), ok
    return say(
        "confirmation_range_no",
        verdict=ok != over,
        words=span.words,
        nearest=nearest,
        nearest_short=nearest_short,
    ), ok


def _closed_days(campaign: Campaign, span: DateSpan, first: dt.date, days: list[dt.date]) -> str:
    """ "，11月26日（周日）不办": the days of the rule's range within ``span`` that are not working days."""
    conf = campaign.facts.confirmation
    months = sorted({(d.year, d.month) for d in days})
    closed = tuple(
        day
        for year, month in months
        for n in range(conf.first_day, min(conf.last_day, pycalendar.monthrange(year, month)[1]) + 1)
        if first <= (day := dt.date(year, month, n)) <= span.last and day not in days
    )
    named = "、".join(f"{d.month}月{d.day}日周{WEEKDAYS[d.weekday()]}" for d in closed)
    return f"，{named}不办" if closed else ""


def _monthly(campaign: Campaign, span: DateSpan, today: dt.date, say: Say, over: bool) -> tuple[str, bool]:
    """Whether the day of the month ``span`` names ("每月31号") is one of the rule's confirmation days."""
    conf = campaign.facts.confirmation
    ok = conf.first_day <= span.first.day <= conf.last_day
    nearest, nearest_short = _nearest(campaign, today, today, say)
    key = "confirmation_month_day_yes" if ok else "confirmation_month_day_no"
    text = say(key, verdict=ok != over, day=str(span.first.day), nearest=nearest, nearest_short=nearest_short)
    return text, ok


def confirmation_last(campaign: Campaign, span: DateSpan, today: dt.date, say: Say) -> tuple[str, bool]:
    """ "今天是8月最后一个确认日吗": whether ``span``'s day is the last confirmation day of its month."""
    day = span.first
    window = next(
        (w for w in calendar.confirmation_windows(campaign) if (w.year, w.month) == (day.year, day.month)),
        None,
    )
    if window is None:
        return confirmation_on(campaign, span, today, say)
    last = window.days[-1]
    truth = day == last
    return say(
        "confirmation_last",
        verdict=truth,
        day=day_label(day, today, span.words),
        month=str(day.month),
        last=calendar.format_days((last,)),
        last_short=calendar.format_days((last,), short=True),
    ), truth


def period_on(campaign: Campaign, span: DateSpan, today: dt.date, claim: str, say: Say) -> tuple[str, bool]:
    """The reply about the campaign period on ``span``'s first day; the verdict answers ``claim``.

    ``claim`` is what a yes/no question asserts: ``open`` (还能学吗), ``closed`` (截止了吗), ``last_day``,
    ``first_day`` (是8月1号开始的吧).
    """
    period = campaign.facts.period
    day = span.first
    # "明年3月份": a month or week named is named so, not by its first day
    named = span.words if not span.single else ""
    label = named or day_label(day, today, span.words)
    short_label = named or f"{day.month}月{day.day}日"
    if day < period.start:
        state = "period_before"
    elif day > period.end:
        # "明年3月份才截止吧" asked before the end: the end is still to come
        state = "period_over" if today > period.end else "period_beyond"
    elif day == period.end:
        state = "period_last_day"
    else:
        state = "period_open"
    truth = {
        "open": period.start <= day <= period.end,
        "closed": day > period.end,
        "last_day": day <= period.end <= span.last,  # "12月底就截止了吧": the end falls in the days named
        "first_day": day == period.start,
    }[claim]
    return say(state, verdict=truth, day=label, day_short=short_label), truth
