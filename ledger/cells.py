"""Cells as read from a ledger file: folded to plain text, numbers from Excel remembered as such."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress
from typing import cast

# Characters that show as nothing but break an exact match (zero-width space, joiners, BOM, soft hyphen).
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


class _DigitFold(dict[int, int | None]):
    """A ``str.translate`` table: every decimal digit of every script (Arabic-Indic, Devanagari, full width,
    ...) to its ASCII digit, invisible characters to nothing; each character looked up on first sight (the
    whole table would take every process a tenth of a second to build)."""

    def __missing__(self, code: int) -> int | None:
        ch = chr(code)
        folded = self[code] = ord("0") + unicodedata.decimal(ch) if unicodedata.category(ch) == "Nd" else code
        return folded


@functools.cache
def _fold_table() -> _DigitFold:
    table = _DigitFold({ord(ch): None for ch in _INVISIBLE})
    table.update((code, code) for code in range(0x80))  # ASCII stays as it is
    return table


class ExcelNumber(str):
    """The text of a cell that Excel stored as a number; ``value`` is the number itself.

    An 18-digit ID number in a numeric cell has lost its last digits (Excel keeps 15 significant ones), so
    the checks need to know where a cell came from, not only what it says.
    """

    __slots__ = ("value",)
    value: float | int

    def __new__(cls, value: float | int) -> ExcelNumber:
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
            text = str(int(value))
        else:
            text = str(value)
        cell = super().__new__(cls, text)
        cell.value = value
        return cell


# Ledgers repeat the same few non-ASCII cells (是/否, posts, employers) thousands of times.
_FOLDED: dict[str, str] = {}
_FOLDED_MAX = 50_000


def fold(text: str) -> str:
    """Fold a cell for checking: NFKC (full width → half width), digits of any script → ASCII, trimmed.

    Blanks inside the text are kept (employers and names are checked by their own rules); ideographic and
    no-break spaces become plain spaces, invisible characters go.
    """
    if text.isascii():
        return text.strip()
    folded = _FOLDED.get(text)
    if folded is None:
        folded = unicodedata.normalize("NFKC", text).translate(_fold_table()).strip()
        if len(_FOLDED) >= _FOLDED_MAX:
            _FOLDED.clear()
        _FOLDED[text] = folded
    return folded


def fold_rows(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    """``fold`` every cell of rows of text (a CSV's): ASCII cells only trimmed, the others looked up in the
    folded cells seen before (a ledger repeats 是/否, posts and employers) before being folded."""
    seen = _FOLDED.get
    for row in rows:
        yield [cell.strip() if cell.isascii() else (seen(cell) or fold(cell)) for cell in row]


def cell_text(value: object) -> str:
    """The text of one spreadsheet value: dates as ISO dates, numbers as ExcelNumber, the rest folded."""
    if value is None:
        return ""
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return ExcelNumber(value)
    return fold(str(value))


class _Texts(dict[object, str]):
    """cell_text of each value seen, computed on first sight."""

    def __missing__(self, value: object) -> str:
        text = self[value] = cell_text(value)
        return text


def _column_texts(column: Sequence[object]) -> list[str]:
    """``cell_text`` of every value of one column. Text that is ASCII (most ID numbers, phones, hours typed
    as text) is only trimmed, by C loops; any other column converts each distinct value once (a ledger
    repeats a few values in most columns). True and 1 are equal keys: a column holding a boolean goes value
    by value."""
    types = set(map(type, column))
    if types == {str}:
        texts = cast("Sequence[str]", column)
        ascii = list(map(str.isascii, texts))
        if ascii.count(False) * 2 < len(texts):  # ID numbers, phones, hours: trimmed, the rest folded
            found = list(map(str.strip, texts))
            for index in compress(range(len(texts)), map(operator.not_, ascii)):
                found[index] = fold(texts[index])
            return found
        folded = {text: fold(text) for text in set(texts)}
        return list(map(folded.__getitem__, texts))
    if bool in types:
        return [cell_text(value) for value in column]
    return list(map(_Texts().__getitem__, column))


def cell_texts(rows: Sequence[Sequence[object]]) -> list[tuple[str, ...]]:
    """``cell_text`` of every value of a sheet, row by row, worked out column by column (see
    ``_column_texts``); rows of unequal length (a CSV may have them) keep their length."""
    lengths = list(map(len, rows))
    width = max(lengths, default=0)
    if width == 0:
        return [()] * len(rows)
    if lengths.count(width) == len(lengths):
        return list(zip(*map(_column_texts, zip(*rows, strict=True)), strict=True))
    padded = [(*row, *[""] * (width - length)) for row, length in zip(rows, lengths, strict=True)]
    texts = zip(*map(_column_texts, zip(*padded, strict=True)), strict=True)
    return [cells[:length] for cells, length in zip(texts, lengths, strict=True)]
