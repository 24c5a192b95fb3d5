"""The checks on each ledger cell; a refusal names the row, the column, the cell as typed and the fix.

A blank cell means "not given": it never wipes what is stored (a new trainee starts at 否 / 0 学时).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.cells import ExcelNumber, fold
from ledger.columns import COLUMNS, REQUIRED, Vocabulary, header_key, missing_columns, vocabulary

__all__ = ["COLUMNS", "REQUIRED", "FieldError", "LedgerRow", "RowError", "RowValidator", "missing_columns"]

_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"\d{17}[\dX]", re.ASCII)
_MASKED_ID = re.compile(r"\d{4}\*{10}\d{3}[\dX]", re.ASCII)
_SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d*)?E[+-]?\d+", re.ASCII | re.IGNORECASE)
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_MOBILE_FLOAT = re.compile(r"(1[3-9]\d{9})\.0+", re.ASCII)
_MASKED_MOBILE = re.compile(r"1[3-9]\d\*{4}\d{4}", re.ASCII)
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}", re.ASCII)
_BLANKS = re.compile(r"\s+")
_PHONE_PUNCTUATION = re.compile(r"[\s()-]")
_POST_SEPARATORS = re.compile(r"[、,;/|\s]+")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", re.ASCII)
_HOURS_UNIT = re.compile(r"(学时|小时|课时|h|hrs?)$", re.IGNORECASE)
# Excel's day 0 is 1899-12-30 (its 1900 leap-year bug included); serials 40000-49999 are 2009-2036.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_DATES = (40_000, 50_000)
MAX_NAME = 32
MAX_EMPLOYER = 200
_TEXT_FIX = "把该列设为“文本”格式，填入完整号码后重新保存（或重新导出）"


class FieldError(ValueError):
    """One cell that cannot be used: the reason and how to fix it, in Chinese, for staff."""

    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


@dataclass(frozen=True)
class RowError:
    """Why one cell of one row was refused: the row as numbered in the file, the header as written."""

    row: int
    column: str
    reason: str
    value: str = ""
    fix: str = ""

    def __str__(self) -> str:
        shown = f"“{self.value}”" if self.value else "空白"
        text = f"第{self.row}行 {self.column}列：{shown}——{self.reason}"
        return f"{text}。改法：{self.fix}" if self.fix else text


@dataclass(slots=True)
class LedgerRow:
    """One valid ledger row; None means the cell was blank (or masked): keep what is stored."""

    name: str
    id_number: str
    id_is_masked: bool = False
    phone: str | None = None
    posts: tuple[str, ...] | None = None
    employer: str | None = None
    registered: bool | None = None
    confirmed: bool | None = None
    confirmed_on: dt.date | None = None
    paid: bool | None = None
    online_hours: float | None = None
    offline_hours: float | None = None
    audited: bool | None = None


def shown(field: str, value: str) -> str:
    """A cell as it may be printed: ID numbers and mobile numbers keep only their ends."""
    if field == "id_number" and len(value) > 8:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if field == "phone" and len(value) > 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return value


def check_name(value: str) -> str:
    """Return the name without blanks, or raise FieldError when empty or too long."""
    name = _BLANKS.sub("", value)
    if not name:
        raise FieldError("姓名为空", "填写学员姓名；整行作废就删除这一行")
    if len(name) > MAX_NAME:
        raise FieldError(f"姓名超过{MAX_NAME}个字", "只填姓名，备注写在别的列")
    return name


@functools.lru_cache(maxsize=1 << 16)
def _birth_date(digits: str) -> dt.date | None:
    """The date written YYYYMMDD, or None when there is no such day (people share birthdays: cached)."""
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _verified(text: str, today: dt.date | None) -> str:
    """``text`` (18 characters, the shape checked) if its birth date and check digit hold."""
    born = _birth_date(text[6:14])
    if born is None or born.year < 1900 or (today is not None and born > today):
        raise FieldError("身份证号中的出生日期无效", "核对第7-14位（出生年月日）")
    # GB 11643 weighs the i-th of the 17 digits by 2**(17-i) mod 11 (the 7, 9, 10, 5, ... of the standard).
    # Read in base 13 (≡ 2 mod 11) the digits carry 13**(16-i) ≡ 2**(16-i): twice that is the weighted sum.
    if _ID_CHECK[2 * int(text[:17], 13) % 11] != text[17]:
        raise FieldError("身份证号校验位不对，可能有一位填错", "对照身份证逐位核对")
    return text


def check_id_number(value: str, today: dt.date | None = None) -> str:
    """Return the normalized 18-character ID number, or raise FieldError: shape, birth date (not after
    ``today``), check digit. Full-width and other scripts' digits are read as digits."""
    if _ID_SHAPE.fullmatch(value):
        return _verified(value, today)
    text = _BLANKS.sub("", fold(value)).upper()
    if not text:
        raise FieldError("身份证号为空", "填写18位身份证号")
    if len(text) == 15 and text.isdigit():
        raise FieldError("这是15位的旧身份证号", "改为18位的新身份证号")
    if not _ID_SHAPE.fullmatch(text):
        raise FieldError(
            f"身份证号应为18位（前17位数字，末位数字或X），这里有{len(text)}位", "核对后填写18位身份证号"
        )
    return _verified(text, today)


def check_id_cell(value: str, today: dt.date | None = None) -> tuple[str, bool]:
    """Read a ledger's ID cell: the ID number and whether it is masked (4306**********1237, as exported).

    A number that Excel stored as a number (or shows in scientific notation) has lost digits: refused.
    """
    if type(value) is str and _ID_SHAPE.fullmatch(value):  # typed as text, as it should be: the usual cell
        return _verified(value, today), False
    if isinstance(value, ExcelNumber) or _SCIENTIFIC.fullmatch(value):
        raise FieldError("身份证号被Excel存成了数字，后几位已丢失", _TEXT_FIX)
    if "*" not in value:
        return check_id_number(value, today), False
    masked = _BLANKS.sub("", value).upper()
    if _MASKED_ID.fullmatch(masked):
        return masked, True
    return check_id_number(value, today), False


def check_phone(value: str) -> str | None:
    """Return the 11-digit mobile number (None when blank or masked), or raise FieldError."""
    if type(value) is str and _MOBILE.fullmatch(value):
        return value
    if isinstance(value, ExcelNumber):
        number = value.value
        if isinstance(number, float) and not number.is_integer():
            raise FieldError("手机号被Excel存成了带小数的数字", _TEXT_FIX)
        text = str(int(number))
    elif _SCIENTIFIC.fullmatch(value.strip()):
        raise FieldError("手机号被Excel存成了科学计数法，后几位已丢失", _TEXT_FIX)
    else:
        text = _PHONE_PUNCTUATION.sub("", value)
        match = _MOBILE_FLOAT.fullmatch(text)
        text = match.group(1) if match else text
    if text.startswith("+86"):
        text = text[3:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    if not text or _MASKED_MOBILE.fullmatch(text):
        return None
    if _MOBILE.fullmatch(text):
        return text
    if _LANDLINE.fullmatch(text):
        raise FieldError("这是固定电话，短信只能发到手机", "改填11位手机号，没有就留空")
    raise FieldError("手机号应为11位大陆手机号码（1开头，第二位3-9）", "只填一个11位手机号，没有就留空")


def check_posts(value: str, allowed: frozenset[str]) -> tuple[str, ...] | None:
    """Split the posts cell on the usual separators and check each against the notice's posts."""
    posts = tuple(dict.fromkeys(p for p in _POST_SEPARATORS.split(value) if p))
    if not posts:
        return None
    unknown = [p for p in posts if p not in allowed]
    if unknown:
        raise FieldError(
            f"岗位“{'、'.join(unknown)}”不在通知所列岗位中",
            f"写通知里的岗位全称，如{'、'.join(sorted(allowed)[:3])}；多个岗位用“、”隔开",
        )
    return posts


def check_employer(value: str) -> str | None:
    """Return the employer (None when blank), or raise FieldError when too long."""
    text = _BLANKS.sub(" ", value).strip()
    if len(text) > MAX_EMPLOYER:
        raise FieldError(f"在岗单位超过{MAX_EMPLOYER}个字", "只填单位全称")
    return text or None


def check_hours(value: str) -> float | None:
    """Return hours as a number ≥ 0 (None when blank); "20学时" and "20.5" are numbers."""
    text = _HOURS_UNIT.sub("", _BLANKS.sub("", value))
    if not text:
        return None
    try:
        hours = float(text)
    except ValueError:
        raise FieldError("学时不是数字", "只填数字，如 20 或 20.5") from None
    if hours != hours or hours in (float("inf"), float("-inf")):
        raise FieldError("学时不是数字", "只填数字，如 20 或 20.5")
    if hours < 0:
        raise FieldError("学时不能为负数", "填0或正数")
    return hours


def check_flag(value: str, words: Vocabulary | None = None) -> bool | None:
    """Read 是/否, 已缴/未缴, 已审核/未审核, √/×, Y/N, 1/0 (None when blank), or raise FieldError."""
    words = words or vocabulary()
    key = header_key(value)
    if not key:
        return None
    if key in words.yes:
        return True
    if key in words.no:
        return False
    raise FieldError("看不出是“是”还是“否”", "填 是/否（也认 已缴/未缴、已审核/未审核、√/×、1/0）")


def check_confirmed(value: str, words: Vocabulary | None = None) -> tuple[bool | None, dt.date | None]:
    """Read the 资格确认 cell: a flag, or the date of the confirmation (also an Excel date serial)."""
    if isinstance(value, ExcelNumber) and _EXCEL_DATES[0] <= value.value < _EXCEL_DATES[1]:
        return True, _EXCEL_EPOCH + dt.timedelta(days=int(value.value))
    match = _DATE.fullmatch(_BLANKS.sub("", value))
    if match:
        try:
            return True, dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            raise FieldError("日期无效", "写成 2023-10-27 这样的日期，或填 是/否") from None
    return check_flag(value, words), None


class _Refused:
    """A cell whose check failed, kept in its column in place of a value."""

    __slots__ = ("error",)

    def __init__(self, error: FieldError) -> None:
        self.error = error


def _checked_all(
    check: Callable[[str], Any], cells: Iterable[tuple[Hashable, str]]
) -> tuple[dict[Hashable, Any], bool]:
    """``check`` of each (key, cell) by its key, a _Refused in place of a refused cell's value; and whether
    any was refused."""
    found: dict[Hashable, Any] = {}
    refused = False
    for key, cell in cells:
        try:
            found[key] = check(cell)
        except FieldError as exc:
            found[key], refused = _Refused(exc), True
    return found, refused


def _column_values(check: Callable[[str], Any], column: Sequence[str]) -> tuple[list[Any], bool]:
    """``check`` applied to every cell, and whether any was refused; each distinct cell is checked once."""
    if set(map(type, column)) <= {str}:
        distinct = set(column)
        by_cell, refused = _checked_all(check, zip(distinct, distinct, strict=True))
        return list(map(by_cell.__getitem__, column)), refused
    # An ExcelNumber equals the text it shows but is checked differently: keyed by its type as well.
    keys = list(zip(map(type, column), column, strict=True))
    by_key, refused = _checked_all(check, ((key, key[1]) for key in set(keys)))
    return list(map(by_key.__getitem__, keys)), refused


# Fields whose check gives a pair: what stands in for a refused cell.
_PAIRS = ("id_number", "confirmed")


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
        words = vocabulary()
        flag = functools.partial(check_flag, words=words)
        checks: dict[str, Callable[[str], Any]] = {
            "name": check_name,
            "id_number": functools.partial(check_id_cell, today=today),
            "phone": check_phone,
            "posts": functools.partial(check_posts, allowed=allowed),
            "employer": check_employer,
            "registered": flag,
            "confirmed": functools.partial(check_confirmed, words=words),
            "paid": flag,
            "online_hours": check_hours,
            "offline_hours": check_hours,
            "audited": flag,
        }
        self._plan = [(field, position, checks[field]) for field, position in self._positions.items()]
        self._width = max(self._positions.values(), default=-1) + 1

    def header(self, field: str) -> str:
        """The header of ``field`` as written in the file."""
        return self._headers[self._positions[field]]

    def __call__(self, row: int, cells: Sequence[str]) -> LedgerRow | list[RowError]:
        """Return the row's values, or every error in it (a row with any error is refused whole)."""
        return self.rows([(row, cells)])[0]

    def rows(self, rows: Sequence[tuple[int, Sequence[str]]]) -> list[LedgerRow | list[RowError]]:
        """Validate ``rows`` (numbered as in the file), column by column; one result per row, in order."""
        if not rows:
            return []
        width = self._width
        cells = [c if len(c) >= width else [*c, *[""] * (width - len(c))] for _, c in rows]
        columns = list(zip(*cells, strict=False))
        values: dict[str, list[Any]] = {}
        refused: dict[int, list[RowError]] = {}
        for field, position, check in self._plan:
            column = columns[position]
            found, any_refused = _column_values(check, column)
            if any_refused:
                header = self._headers[position]
                stand_in = (None, None) if field in _PAIRS else None
                for index, value in enumerate(found):
                    if type(value) is _Refused:
                        error, cell = value.error, column[index]
                        refusal = RowError(
                            rows[index][0], header, error.reason, shown(field, cell), error.fix
                        )
                        refused.setdefault(index, []).append(refusal)
                        found[index] = stand_in
            values[field] = found
        return _assemble(values, len(rows), refused)


def _assemble(
    values: dict[str, list[Any]], count: int, refused: dict[int, list[RowError]]
) -> list[LedgerRow | list[RowError]]:
    """One LedgerRow per row from the checked columns; a refused row's errors in its place."""
    blank: list[Any] = [None] * count
    ids, masked = zip(*values["id_number"], strict=True)
    confirmed, confirmed_on = (
        zip(*values["confirmed"], strict=True) if "confirmed" in values else (blank, blank)
    )
    result: list[LedgerRow | list[RowError]] = list(
        map(
            LedgerRow,
            values["name"],
            ids,
            masked,
            *(values.get(field, blank) for field in ("phone", "posts", "employer", "registered")),
            confirmed,
            confirmed_on,
            *(values.get(field, blank) for field in ("paid", "online_hours", "offline_hours", "audited")),
        )
    )
    for index, errors in refused.items():
        result[index] = errors
    return result
