"""The checks on each ledger cell; a refusal names the row, the column, the cell as typed and the fix.

A blank cell means "not given": it never wipes what is stored (a new trainee starts at 否 / 0 学时).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import operator
import re
from collections.abc import Collection
from dataclasses import dataclass

from ledger.cells import ExcelNumber, fold
from ledger.columns import COLUMNS, REQUIRED, Vocabulary, header_key, missing_columns, vocabulary

__all__ = ["COLUMNS", "REQUIRED", "FieldError", "LedgerRow", "RowError", "missing_columns", "shown"]

_ID_CHECK = "10X98765432"
_FIRST_17, _BIRTH_DIGITS, _LAST = (
    operator.itemgetter(slice(17)),
    operator.itemgetter(slice(6, 14)),
    operator.itemgetter(17),
)
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


def usual_ids(cells: Collection[str], today: dt.date | None = None) -> bool:
    """Whether every one of ``cells`` (text, not numbers) is an ID number as ``check_id_cell`` reads the
    usual cell: 18 characters typed plainly, a real birth date (not after ``today``), the right check digit.
    Checked all at once (C loops, each birth date once): such a column's values are the cells themselves."""
    if not all(map(_ID_SHAPE.fullmatch, cells)):
        return False
    for digits in set(map(_BIRTH_DIGITS, cells)):
        born = _birth_date(digits)
        if born is None or born.year < 1900 or (today is not None and born > today):
            return False
    ordered = list(cells)
    weighted = map(int, map(_FIRST_17, ordered), itertools.repeat(13))  # see _verified
    remainders = map(operator.mod, map(operator.mul, weighted, itertools.repeat(2)), itertools.repeat(11))
    return all(map(operator.eq, map(_ID_CHECK.__getitem__, remainders), map(_LAST, ordered)))


def usual_phones(cells: Collection[str]) -> bool:
    """Whether every one of ``cells`` (text, not numbers) is an 11-digit mobile number typed plainly, which
    ``check_phone`` gives back as it is."""
    return all(map(_MOBILE.fullmatch, cells))
