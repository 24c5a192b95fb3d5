"""The sheets of a ledger file as rows of folded text cells: CSV (UTF-8 or GBK), XLSX and XLS (python-calamine)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.cells import cell_texts, fold_rows


class LedgerFileError(Exception):
    """A ledger file that cannot be used at all (unreadable, or required columns missing)."""


@dataclass(frozen=True)
class Merge:
    """A merged range of cells, numbered as staff see them: rows from 1 (the first row of the sheet) and
    columns from 0 (the first column); the value is in the top-left cell, the others are empty."""

    first_row: int
    last_row: int
    first_column: int
    last_column: int


# A row's cells, folded (ledger.cells): a tuple or a list.
Cells = Sequence[str]


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name (None for CSV), a way to iterate its rows from the top as often as needed, and its
    merged ranges."""

    name: str | None
    rows: Callable[[], Iterator[Cells]]
    merges: list[Merge] = field(default_factory=list)


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

    def rows() -> Iterator[Cells]:
        try:
            yield from fold_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:
            raise LedgerFileError(f"{path.name}: CSV 格式错误：{exc}") from exc

    yield [Sheet(None, rows)]


def _grid(sheet: Any) -> Callable[[], Iterator[Cells]]:
    """The sheet's rows from A1, read once (on first use) and folded."""
    cached: list[Cells] = []

    def rows() -> Iterator[Cells]:
        if not cached:
            from python_calamine import CalamineError

            try:
                grid = sheet.to_python(skip_empty_area=False)
            except CalamineError as exc:
                raise LedgerFileError(f"工作表“{sheet.name}”无法读取（{type(exc).__name__}）") from exc
            cached.extend(cell_texts(grid))
        return iter(cached)

    return rows


def _merges(sheet: Any) -> list[Merge]:
    ranges = sheet.merged_cell_ranges or []
    return [Merge(top + 1, bottom + 1, left, right) for (top, left), (bottom, right) in ranges]


@contextmanager
def excel_sheets(path: Path, what: str) -> Iterator[list[Sheet]]:
    """Every worksheet of an XLSX or XLS workbook, in the workbook's order: cached values of formulas, numbers
    as numbers (see ledger.cells.ExcelNumber), dates as dates. ``what`` names the format in a refusal."""
    from python_calamine import CalamineError, CalamineWorkbook

    # The content decides the format, not the name: a misnamed workbook is read as what it is.
    try:
        with path.open("rb") as handle:
            workbook = CalamineWorkbook.from_filelike(handle)
    except (CalamineError, OSError, ValueError) as exc:
        raise LedgerFileError(
            f"{path.name}: 无法作为{what}打开（{type(exc).__name__}）：请在Excel中另存为 .xlsx 后再导入"
        ) from exc
    try:
        sheets = []
        for index, name in enumerate(workbook.sheet_names):
            try:
                sheet = workbook.get_sheet_by_index(index)
            except CalamineError:  # a chart sheet or a dialog sheet: no cells to read
                continue
            sheets.append(Sheet(name, _grid(sheet), _merges(sheet)))
        yield sheets
    finally:
        workbook.close()
