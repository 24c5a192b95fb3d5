"""Dates a message names — 今天, 后天, 这周五, 下周, 这个月, 月底, 元旦后, 11月28号 — as spans of days.

The words come from ``data/aspects.yml``; resolving them needs only today's date, so this stays pure. Whether a
day is a working day is the official calendar's business, decided later, in the knowledge layer.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from knowledge.reading import DateSpan
from nlu.numerals import chinese_number
from nlu.prefilter import CharacterFilter
from nlu.wordlists import alternation

# An open span ("元旦后") reaches this far: beyond any campaign period it is compared with.
OPEN_END = dt.timedelta(days=400)
_EXPLICIT = re.compile(
    r"(?:(20\d\d)\s*[年/.-]\s*)?(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?|(20\d\d)-(\d{1,2})-(\d{1,2})"
)
_MONTH_ONLY = re.compile(r"(?<![\d年])(\d{1,2})\s*月份?([底末尾])?(?![\d初])")
# "明年三月底", "下一年3月份": a month of next year.
_NEXT_YEAR_MONTH = re.compile(
    r"(?:明年|下一年|下年)\s*(\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月份?(?:([底末尾])|(\d{1,2})\s*[日号])?"
)
_RANGE = frozenset("到至-—~～、")
_MONTHLY_DAY = re.compile(r"每个?月(?:的)?(\d{1,2})\s*[号日](?!\s*[到至\-—~～、])")
_RANGE_START = re.compile(r"[\d日号]$")  # what stands before the range mark of "26到30日"
_MONTH_START = frozenset({"初", "头"})  # "下个月初", "月头": words of the aspects file's month_end too
_RANGE_END = re.compile(r"\s*[到至\-—~～]\s*(\d{1,2})\s*[号日]")  # "26号到30号": the first day of a range
_DAY_ONLY = re.compile(r"(?<![\d月./-])(\d{1,2})\s*[号日](?![楼室])")


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


class DateReader:
    """Resolve the date words of one aspects file against a given today."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._days = {str(k): int(v) for k, v in raw["days"].items()}
        self._week_prefixes = {str(k): int(v) for k, v in raw["week_prefixes"].items()}
        self._weekdays = {str(k): int(v) for k, v in raw["weekdays"].items()}
        self._month_prefixes = {str(k): int(v) for k, v in raw["month_prefixes"].items()}
        self._holidays = {str(k): str(v) for k, v in raw["holidays"].items()}
        # "去年", "前年": a year counted back from today's ("去年新取证的" names 2022 in 2023)
        self._years = {str(k): int(v) for k, v in raw.get("years", {}).items()}
        self._year_words = re.compile(alternation(self._years)) if self._years else None
        weekday_keys = [*self._weekdays, *raw["weekend"]]
        self._weekend = {str(w) for w in raw["weekend"]}
        self._patterns = [
            ("day", re.compile(f"({alternation(self._days)})")),
            (
                "week",
                re.compile(
                    # not the 下 of "发我一下": "…一下下周过去" is next week
                    f"(?<!一)({alternation(self._week_prefixes)})?(?:{alternation(raw['weekday_words'])})"
                    f"({alternation(weekday_keys)})?"
                ),
            ),
            (
                "month",
                re.compile(f"({alternation(self._month_prefixes)})?月({alternation(raw['month_end'])})?"),
            ),
            ("holiday", re.compile(f"({alternation(self._holidays)})")),
        ]
        # "下个月28号", "这个月28号": a day of the month the prefix names.
        self._prefixed_day = re.compile(
            f"({alternation(self._month_prefixes)})月份?\\s*(\\d{{1,2}})\\s*[号日](?![楼室])"
        )
        self._after = re.compile(f"^(?:{alternation(raw['after'])})")
        self._before = re.compile(f"^(?:{alternation(raw.get('before', ()))})") if raw.get("before") else None
        # A text with none of these characters names no date: most messages skip the patterns.
        words = [*self._days, *self._holidays, *raw["weekday_words"], "月", "号", "日"]
        self._triggers = frozenset("0123456789").union(str(w)[0] for w in words)
        # "20学时" has a digit but names no day: only the expressions whose characters it has are tried
        fixed = (_EXPLICIT, self._prefixed_day, _MONTH_ONLY, _DAY_ONLY)
        self._filter = CharacterFilter([e.pattern for e in (*fixed, *(p for _, p in self._patterns))])

    def years_named(self, text: str, today: dt.date) -> str:
        """``text`` with each relative year word written as the year it names: "去年新取证的" on a day of
        2023 reads "2022年新取证的"."""
        if self._year_words is None:
            return text
        return self._year_words.sub(lambda m: f"{today.year + self._years[m.group(0)]}年", text)

    def read(self, text: str, today: dt.date) -> tuple[DateSpan, ...]:
        """Every span of days the text names, in the order it names them."""
        if self._triggers.isdisjoint(text):
            return ()
        found: list[tuple[int, int, DateSpan]] = []
        maybe = frozenset(self._filter.candidates(text))  # 0-3: the fixed expressions, then the patterns

        def add(start: int, end: int, span: DateSpan | None) -> None:
            if span is None or any(start < e and s < end for s, e, _ in found):
                return
            if self._after.match(text[end:]):
                span = DateSpan(span.last + dt.timedelta(days=1), span.last + OPEN_END, span.words + "以后")
            elif self._before is not None and self._before.match(text[end:]) and span.first > today:
                # "国庆放假前还能去确认吗": the days from today until the day before
                span = DateSpan(today, span.first - dt.timedelta(days=1), span.words + "前")
            found.append((start, end, span))

        for m in _NEXT_YEAR_MONTH.finditer(text) if "年" in text else ():
            month = int(chinese_number(m.group(1)) or 0)
            if 1 <= month <= 12:
                last = _month_end(today.year + 1, month)
                first = last - dt.timedelta(days=6) if m.group(2) else last.replace(day=1)
                if m.group(3) is not None:  # "明年1月5号": that day
                    if not 1 <= int(m.group(3)) <= last.day:
                        continue
                    first = last = last.replace(day=int(m.group(3)))
                add(m.start(), m.end(), DateSpan(first, last, m.group(0)))
        for m in _EXPLICIT.finditer(text) if 0 in maybe else ():
            add(m.start(), m.end(), _explicit(m, today))
        for m in self._prefixed_day.finditer(text) if 1 in maybe else ():
            first = _add_months(today, self._month_prefixes[m.group(1)])
            try:
                day = first.replace(day=int(m.group(2)))
            except ValueError:
                continue
            add(m.start(), m.end(), DateSpan(day, day, m.group(0)))
        for m in _MONTH_ONLY.finditer(text) if 2 in maybe else ():
            add(m.start(), m.end(), _whole_month(int(m.group(1)), m.group(2) is not None, today, m.group(0)))
        for m in _DAY_ONLY.finditer(text) if 3 in maybe else ():
            ranged = text[max(0, m.start() - 1) : m.start()] in _RANGE and _RANGE_START.search(
                text, 0, max(0, m.start() - 1)
            )
            if ranged:  # a day right after 月 is never read here: "每月31号" is read below
                continue  # "每月26到30日" is the rule, not a day; "提前到25号" is a day
            until = _RANGE_END.match(text, m.end())
            if until is not None:  # "26号到30号都能去吗": those days of this month (the rule after 每月)
                if not text[: m.start()].endswith(("每月", "每个月")):
                    words = m.group(0) + until.group(0)
                    add(
                        m.start(),
                        until.end(),
                        _days_of_month(int(m.group(1)), int(until.group(1)), today, words),
                    )
                continue
            add(m.start(), m.end(), _day_of_month(int(m.group(1)), today, m.group(0)))
        for m in _MONTHLY_DAY.finditer(text) if "每" in text else ():
            # "每个月31号可以去确认吗": that day of every month, a claim about the rule
            monthly = _day_of_month(int(m.group(1)), today, f"每月{m.group(1)}日")
            add(m.start(), m.end(), None if monthly is None else dataclasses.replace(monthly, monthly=True))
        for n, (kind, pattern) in enumerate(self._patterns, 4):
            for m in pattern.finditer(text) if n in maybe else ():
                add(m.start(), m.end(), self._span(kind, m, today))
        found.sort(key=lambda f: f[0])
        spans = [span for _, _, span in found]
        ranges = [(end, span) for _, end, span in found if not span.single]
        # "这周五28号", "月底31号": a day refines the range it lies in or directly follows; "国庆" later in the
        # message does not refine "这个月底".
        days = [
            span
            for start, _, span in found
            if span.single
            and any(r.first <= span.first <= r.last or not text[end:start].strip() for end, r in ranges)
        ]
        return tuple(days) if days else tuple(spans)

    def _span(self, kind: str, m: re.Match[str], today: dt.date) -> DateSpan | None:
        words = m.group(0)
        if kind == "day":
            day = today + dt.timedelta(days=self._days[m.group(1)])
            return DateSpan(day, day, words)
        if kind == "holiday":
            month, day_of_month = (int(x) for x in self._holidays[m.group(1)].split("-"))
            day = dt.date(today.year, month, day_of_month)
            day = day if day >= today else dt.date(today.year + 1, month, day_of_month)
            return DateSpan(day, day, words)
        if kind == "week":
            return self._week(m.group(1), m.group(2), today, words)
        return self._month(m.group(1), m.group(2), today, words)

    def _week(self, prefix: str | None, weekday: str | None, today: dt.date, words: str) -> DateSpan | None:
        if prefix is None and weekday is None:
            return None  # "一周" alone names no particular week
        monday = today - dt.timedelta(days=today.weekday())
        if prefix is not None:
            monday += dt.timedelta(weeks=self._week_prefixes[prefix])
        if weekday is None:
            return _clamped(monday, monday + dt.timedelta(days=6), today, words)
        if weekday in self._weekend:
            saturday = monday + dt.timedelta(days=5)
            if prefix is None and saturday + dt.timedelta(days=1) < today:
                saturday += dt.timedelta(weeks=1)
            return _clamped(saturday, saturday + dt.timedelta(days=1), today, words)
        day = monday + dt.timedelta(days=self._weekdays[weekday])
        if prefix is None and day < today:  # "周五" on a Saturday means the coming one
            day += dt.timedelta(weeks=1)
        return DateSpan(day, day, words)

    def _month(self, prefix: str | None, end: str | None, today: dt.date, words: str) -> DateSpan | None:
        if prefix is None and end is None:
            return None
        first = _add_months(today, self._month_prefixes[prefix] if prefix is not None else 0)
        last = _month_end(first.year, first.month)
        if end in _MONTH_START:  # "下个月初": its first ten days
            first, last = first.replace(day=1), first.replace(day=10)
        elif end is not None:
            first = last - dt.timedelta(days=6)  # the last week of the month
        return _clamped(first, last, today, words)


def _clamped(first: dt.date, last: dt.date, today: dt.date, words: str) -> DateSpan:
    """A span that has begun starts today: "这个月" asked on the 20th means the 20th to the end."""
    return DateSpan(max(first, today), last, words) if last >= today else DateSpan(first, last, words)


def _explicit(m: re.Match[str], today: dt.date) -> DateSpan | None:
    year_text, month, day = (m.group(1), m.group(2), m.group(3)) if m.group(2) else m.group(4, 5, 6)
    year = int(year_text) if year_text else today.year
    try:
        date = dt.date(year, int(month), int(day))
    except ValueError:
        return None
    if not year_text and date < today - dt.timedelta(days=180):  # "1月5日" asked in December: next year
        date = date.replace(year=year + 1)
    return DateSpan(date, date, m.group(0))


def _whole_month(month: int, end: bool, today: dt.date, words: str) -> DateSpan | None:
    if not 1 <= month <= 12:
        return None
    year = today.year if month >= today.month else today.year + 1
    first, last = dt.date(year, month, 1), _month_end(year, month)
    if end:
        first = last - dt.timedelta(days=6)
    return _clamped(first, last, today, words)


def _day_of_month(day: int, today: dt.date, words: str) -> DateSpan | None:
    """The coming day of that number: this month's, or the next month that has it ("31号" on 20 November is
    31 December)."""
    if not 1 <= day <= 31:
        return None
    for months in range(3):
        first = _add_months(today, months)
        if day <= calendar.monthrange(first.year, first.month)[1]:
            date = first.replace(day=day)
            if date >= today:
                return DateSpan(date, date, words)
    return None


def _days_of_month(first: int, last: int, today: dt.date, words: str) -> DateSpan | None:
    """ "26号到30号": those days of the coming month that has them and has not yet passed them all."""
    for months in range(3):
        month = _add_months(today, months)
        fits = 1 <= first <= last <= calendar.monthrange(month.year, month.month)[1]
        if fits and month.replace(day=last) >= today:
            return DateSpan(month.replace(day=first), month.replace(day=last), words)
    return None


_MISSED = r"(?:都|也|还)?(?:冇|没|没有|来不及|去不了|搞不赢|不得空|赶不上|错过|过了)"


_HEARD = re.compile(r"\s*(?:听说|听人说|听人港|(?:同事|别个|别人|群里|有人|工头|朋友|老乡)(?:讲|说|港))")


def asked_first(
    dates: tuple[DateSpan, ...], clauses: Callable[[], list[str]], asks: Callable[[str], object]
) -> tuple[DateSpan, ...]:
    """``dates`` with the one named in the last of the ``clauses`` that ``asks`` first: "今天来不及了，明天去
    确认可以啵" asks about 明天; "这个月底能去确认吗，国庆那几天耽误了" about 这个月底."""
    if len(dates) < 2:
        return dates
    said = clauses()
    asking = [c for c in said if asks(c)]
    # "今天还能去确认吗，同事讲昨天就结束哒": what was heard is a remark beside the question, not the day asked
    asking = [c for c in asking if not _HEARD.match(c)] or asking
    # "今天冇搞赢明天礼拜六去行不行": a day missed is not the day asked
    text = "".join(said)
    missed = [d for d in dates if d.words and re.search(re.escape(d.words) + _MISSED, text)]
    chosen = next((d for d in dates if d not in missed and asking and d.words in asking[-1]), None)
    if chosen is None and asking and asking[-1] in said:
        # "明天想去确认，行啵": a bare asking clause leans on the nearest clause before it that names a day
        for clause in reversed(said[: said.index(asking[-1])]):
            chosen = next((d for d in dates if d not in missed and d.words and d.words in clause), None)
            if chosen is not None:
                break
    if chosen is None and missed:
        chosen = next((d for d in dates if d not in missed), None)
    return dates if chosen is None else (chosen, *(d for d in dates if d is not chosen))
