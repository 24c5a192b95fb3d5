"""The sheets of a ledger file as rows of folded text cells: CSV (UTF-8 or GBK), XLSX (openpyxl), XLS (xlrd)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ledger.cells import cell_text, fold


class LedgerFileError(Exception):
    """A ledger file that cannot be used at all (unreadable, or required columns missing)."""


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name (None for CSV) and a way to iterate its rows from the top, as often as needed."""

    name: str | None
    rows: Callable[[], Iterator[list[str]]]


def _decode(raw: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError(f"{name}: 无法识别文件编码（支持 UTF-8 和 GBK）：请在Excel中另存为 .xlsx 后再导入")


@contextmanager
def csv_sheets(path: Path) -> Iterator[list[Sheet]]:
    """A CSV file as one sheet; the delimiter is a tab when the first line has tabs and no commas."""
    text = _decode(path.read_bytes(), path.name)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","

    def rows() -> Iterator[list[str]]:
        try:
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                yield [cell.strip() if cell.isascii() else fold(cell) for cell in record]
        except csv.Error as exc:
            raise LedgerFileError(f"{path.name}: CSV 格式错误：{exc}") from exc

    yield [Sheet(None, rows)]


@contextmanager
def xlsx_sheets(path: Path) -> Iterator[list[Sheet]]:
    """Every worksheet of an XLSX workbook, in the workbook's order (values, not formulas)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A file object, not the path: openpyxl refuses a path whose suffix is not .xlsx (a misnamed workbook).
    handle = path.open("rb")
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        handle.close()
        raise LedgerFileError(f"{path.name}: 无法作为 Excel 文件打开（{type(exc).__name__}）") from exc
    try:

        def reader(sheet: object) -> Callable[[], Iterator[list[str]]]:
            def rows() -> Iterator[list[str]]:
                for values in sheet.iter_rows(values_only=True):  # type: ignore[attr-defined]
                    yield [cell_text(v) for v in values]

            return rows

        yield [Sheet(ws.title, reader(ws)) for ws in workbook.worksheets]
    finally:
        workbook.close()
        handle.close()


@contextmanager
def xls_sheets(path: Path) -> Iterator[list[Sheet]]:
    """Every worksheet of an Excel 97-2003 workbook (xlrd): numbers stay numbers, dates become dates."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except (xlrd.XLRDError, OSError, ValueError, AssertionError, IndexError, KeyError) as exc:
        raise LedgerFileError(
            f"{path.name}: 无法读取这个 .xls 文件（{type(exc).__name__}）：请在Excel中另存为 .xlsx 后再导入"
        ) from exc

    def value(sheet: xlrd.sheet.Sheet, row: int, col: int) -> object:
        kind = sheet.cell_type(row, col)
        raw = sheet.cell_value(row, col)
        if kind == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate.xldate_as_datetime(raw, book.datemode)
            except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                return raw
        if kind == xlrd.XL_CELL_BOOLEAN:
            return bool(raw)
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
            return None
        return raw

    def reader(index: int) -> Callable[[], Iterator[list[str]]]:
        def rows() -> Iterator[list[str]]:
            sheet = book.sheet_by_index(index)
            for row in range(sheet.nrows):
                yield [cell_text(value(sheet, row, col)) for col in range(sheet.row_len(row))]

        return rows

    try:
        yield [Sheet(name, reader(i)) for i, name in enumerate(book.sheet_names())]
    finally:
        book.release_resources()
