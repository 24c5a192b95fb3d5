"""Ledger columns and the checks on each cell; errors name the row and column as the file shows them."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ZERO_OFFSET = ord("0") * sum(_ID_WEIGHTS)
_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_BLANKS = re.compile(r"\s+")
_PHONE_PUNCTUATION = re.compile(r"[\s-]")
_POST_SEPARATORS = re.compile(r"[、,，;；/]")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_TRUE = frozenset({"是", "y", "yes", "1", "true", "t", "√", "已"})
_FALSE = frozenset({"否", "n", "no", "0", "false", "f", "×", "未", ""})

# field -> (Chinese header, English header); the CONTRACTS table.
COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "id_number"),
    "phone": ("手机号", "phone"),
    "posts": ("岗位", "posts"),
    "employer": ("在岗单位", "employer"),
    "registered": ("报名", "registered"),
    "confirmed": ("资格确认", "confirmed"),
    "paid": ("缴费", "paid"),
    "online_hours": ("线上学时", "online_hours"),
    "offline_hours": ("线下学时", "offline_hours"),
    "audited": ("审核", "audited"),
}
# Phone and employer may be absent from a file; then the stored values are kept.
REQUIRED = tuple(field for field in COLUMNS if field not in ("phone", "employer"))
_HEADER_TO_FIELD = {header.casefold(): field for field, headers in COLUMNS.items() for header in headers}


class FieldError(ValueError):
    """One cell that cannot be used; the message is the reason, in Chinese, for staff."""


@dataclass(frozen=True)
class RowError:
    """Why one cell of one row was rejected: the row as numbered in the file, the header as written."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"第{self.row}行 列{self.column}: {self.reason}"


@dataclass(frozen=True)
class LedgerRow:
    """One valid ledger row, values normalized."""

    name: str
    id_number: str
    posts: tuple[str, ...]
    registered: bool
    confirmed: bool
    paid: bool
    online_hours: float
    offline_hours: float
    audited: bool
    phone: str | None = None
    employer: str = ""
    confirmed_on: dt.date | None = None


def map_headers(headers: Iterable[object]) -> dict[str, int]:
    """Map fields to column positions from a header row (Chinese or English, any order, extras ignored)."""
    found: dict[str, int] = {}
    for position, header in enumerate(headers):
        field = _HEADER_TO_FIELD.get(str(header or "").strip().casefold())
        if field is not None and field not in found:
            found[field] = position
    return found


def missing_columns(found: Mapping[str, int]) -> list[str]:
    """Name the required columns (Chinese/English) absent from a header mapping."""
    return [f"{COLUMNS[f][0]}/{COLUMNS[f][1]}" for f in REQUIRED if f not in found]


def check_name(value: str) -> str:
    """Return the name without blanks, or raise FieldError when empty."""
    name = _BLANKS.sub("", value)
    if not name:
        raise FieldError("姓名不能为空")
    return name


def check_id_number(value: str, today: dt.date | None = None) -> str:
    """Return the normalized ID number, or raise FieldError: shape, birth date (not after ``today``), check digit."""
    text = value.strip().upper()
    if not _ID_SHAPE.fullmatch(text):
        raise FieldError("身份证号应为18位（前17位数字，末位数字或X）")
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise FieldError("身份证号中的出生日期无效") from None
    if born.year < 1900 or (today is not None and born > today):
        raise FieldError("身份证号中的出生日期无效")
    # Bytes of ASCII digits are their codes; subtracting the weighted '0's leaves the weighted digits.
    weighted = sum(map(operator.mul, text[:17].encode("ascii"), _ID_WEIGHTS)) - _ZERO_OFFSET
    if _ID_CHECK[weighted % 11] != text[17]:
        raise FieldError("身份证号校验位错误")
    return text


def check_phone(value: str) -> str | None:
    """Return the 11-digit mobile number (None when blank), or raise FieldError."""
    text = _PHONE_PUNCTUATION.sub("", value)
    if text.startswith("+86"):
        text = text[3:]
    if not text:
        return None
    if not _MOBILE.fullmatch(text):
        raise FieldError("手机号应为11位大陆手机号码（1开头，第二位3-9）")
    return text


def check_posts(value: str, allowed: frozenset[str]) -> tuple[str, ...]:
    """Split the posts cell on the usual separators and check each against the notice's posts."""
    posts = tuple(dict.fromkeys(p.strip() for p in _POST_SEPARATORS.split(value) if p.strip()))
    if not posts:
        raise FieldError("岗位不能为空")
    unknown = [p for p in posts if p not in allowed]
    if unknown:
        raise FieldError(f"岗位“{'、'.join(unknown)}”不在通知所列岗位中")
    return posts


def check_hours(value: str) -> float:
    """Return hours as a number ≥ 0 (blank = 0), or raise FieldError."""
    text = value.strip()
    if not text:
        return 0.0
    try:
        hours = float(text)
    except ValueError:
        raise FieldError(f"学时“{text}”不是数字") from None
    if hours != hours or hours in (float("inf"), float("-inf")):
        raise FieldError(f"学时“{text}”不是数字")
    if hours < 0:
        raise FieldError("学时不能为负数")
    return hours


def check_flag(value: str) -> bool:
    """Read 是/否, Y/N, 1/0, true/false (blank = 否), or raise FieldError."""
    text = value.strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldError(f"“{value.strip()}”应为 是/否、Y/N、1/0 或 true/false")


def check_confirmed(value: str) -> tuple[bool, dt.date | None]:
    """Read the 资格确认 cell: a flag, or the date of the confirmation."""
    match = _DATE.fullmatch(value.strip())
    if match:
        try:
            return True, dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            raise FieldError(f"日期“{value.strip()}”无效") from None
    return check_flag(value), None


class RowValidator:
    """Validate the rows of one file against its header mapping and the notice's posts."""

    def __init__(
        self,
        positions: Mapping[str, int],
        headers: list[str],
        posts: Iterable[str],
        today: dt.date | None = None,
    ) -> None:
        self._positions = dict(positions)
        self._headers = headers
        allowed = frozenset(posts)
        # A ledger repeats a handful of values in most columns; those are read once per file.
        memo = functools.lru_cache(maxsize=4096)
        flag, hours = memo(check_flag), memo(check_hours)
        checks: dict[str, Callable[[str], Any]] = {
            "name": check_name,
            "id_number": functools.partial(check_id_number, today=today),
            "phone": check_phone,
            "posts": memo(lambda cell: check_posts(cell, allowed)),
            "employer": memo(str.strip),
            "registered": flag,
            "confirmed": memo(check_confirmed),
            "paid": flag,
            "online_hours": hours,
            "offline_hours": hours,
            "audited": flag,
        }
        self._plan = [(field, position, checks[field]) for field, position in self._positions.items()]

    def header(self, field: str) -> str:
        """The header of ``field`` as written in the file."""
        return self._headers[self._positions[field]]

    def __call__(self, row: int, cells: Sequence[str]) -> LedgerRow | list[RowError]:
        """Return the row's values, or every error in it (a row with any error is rejected whole)."""
        errors: list[RowError] = []
        values: dict[str, Any] = {}
        width = len(cells)
        for field, position, check in self._plan:
            try:
                values[field] = check(cells[position] if position < width else "")
            except FieldError as exc:
                errors.append(RowError(row, self._headers[position], str(exc)))
        if errors:
            return errors
        values["confirmed"], values["confirmed_on"] = values.get("confirmed", (False, None))
        return LedgerRow(**values)
