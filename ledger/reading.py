"""Read a ledger file as it really comes: find what it is, the sheet and row holding the header, the data rows.

The content decides the format, not the name; a header is looked for below title rows on every sheet; rows
with nothing in the ledger's columns (only a 序号, say) and totals rows are skipped and counted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from ledger.columns import COLUMNS, Vocabulary, vocabulary
from ledger.sheets import Cells, LedgerFileError, Merge, Sheet, csv_sheets, excel_sheets
from ledger.sniff import Kind, misnamed, sniff

__all__ = ["HEADER_SEARCH_ROWS", "LedgerFileError", "LedgerTable", "ReadAhead", "read_ledger"]

HEADER_SEARCH_ROWS = 20
_SAVE_AS = "请在Excel中打开它，另存为 .xlsx（Excel 工作簿）后再导入"


@dataclass
class LedgerTable:
    """The header (as written), its row, the field positions, the data rows, and what reading noticed."""

    headers: list[str]
    header_row: int
    positions: dict[str, int]
    rows: list[tuple[int, Cells]]
    kind: Kind = Kind.CSV
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    blank_rows: int = 0
    totals_rows: list[int] = field(default_factory=list)

    @property
    def ignored(self) -> list[str]:
        """Headers of the columns that were not read (序号, 备注, 性别, ...)."""
        used = set(self.positions.values())
        return [h for i, h in enumerate(self.headers) if h and i not in used]

    def header(self, field_name: str) -> str:
        """The header of a field as the file writes it (or the contract's name when the file lacks it)."""
        position = self.positions.get(field_name)
        return self.headers[position] if position is not None else COLUMNS[field_name][0]


def _refusal(path: Path, kind: Kind) -> str:
    what = f"{path.name}: 这是{kind.value}"
    if kind is Kind.HTML:
        return f"{what}（网站“导出Excel”常给出这种文件），不是真正的 Excel 表格：{_SAVE_AS}"
    if kind in (Kind.ODS,):
        return f"{what}：{_SAVE_AS}"
    if kind is Kind.EMPTY:
        return f"{path.name}: 文件是空的（0 字节）：请重新导出台账"
    return f"{what}，不是台账表格：请导入 .xlsx、.xls 或 .csv 格式的台账"


def _open(path: Path, kind: Kind) -> AbstractContextManager[list[Sheet]]:
    if kind in (Kind.XLSX, Kind.XLS):
        return excel_sheets(path, kind.value)
    if kind is Kind.CSV:
        return csv_sheets(path)
    raise LedgerFileError(_refusal(path, kind))


def _find_header(rows: Iterator[Cells], words: Vocabulary) -> tuple[int, list[str], dict[str, int]] | None:
    for number, cells in enumerate(rows, start=1):
        positions = words.map_headers(cells)
        if "name" in positions and "id_number" in positions:
            return number, list(cells), positions
        if number >= HEADER_SEARCH_ROWS:
            break
    return None


def _sheet_label(sheet: Sheet) -> str:
    return f"工作表“{sheet.name}”"


def _choose(
    sheets: list[Sheet], words: Vocabulary, path: Path
) -> tuple[Sheet, int, list[str], dict[str, int]]:
    """The first sheet with a header, the header's row number, the header and the field positions."""
    found = [(sheet, _find_header(sheet.rows(), words)) for sheet in sheets]
    for sheet, header in found:
        if header is not None:
            return sheet, *header
    near = max((len(words.map_headers(row)) for s in sheets for row in _first_rows(s)), default=0)
    where = "任何工作表" if len(sheets) > 1 else "文件"
    hint = "（找到了一些列名，但缺少“姓名”或“身份证号”）" if near else ""
    raise LedgerFileError(
        f"{path.name}: {where}的前{HEADER_SEARCH_ROWS}行中都找不到表头{hint}：表头行需要有“姓名”和“身份证号”两列"
    )


def _first_rows(sheet: Sheet) -> Iterator[Cells]:
    for number, row in enumerate(sheet.rows(), start=1):
        yield row
        if number >= HEADER_SEARCH_ROWS:
            return


def _sheet_notes(sheets: list[Sheet], chosen: Sheet, words: Vocabulary) -> list[str]:
    if len(sheets) == 1:
        return []
    notes = [f"读取了{_sheet_label(chosen)}（共 {len(sheets)} 个工作表）"]
    for sheet in sheets:
        if sheet is chosen:
            continue
        if _find_header(sheet.rows(), words) is not None:
            notes.append(
                f"{_sheet_label(sheet)}也像台账，未读取：每次导入一个工作表，请把它另存为单独的文件再导入"
            )
        else:
            notes.append(f"{_sheet_label(sheet)}没有台账表头，未读取")
    return notes


def _vertical_merges(merges: list[Merge], table: LedgerTable) -> dict[int, list[Merge]]:
    """Merged ranges inside the data spanning rows in a column that is read, by their first row."""
    used = set(table.positions.values())
    starting: dict[int, list[Merge]] = {}
    for merge in merges:
        if (
            merge.first_row > table.header_row
            and merge.last_row > merge.first_row
            and merge.first_column in used
        ):
            starting.setdefault(merge.first_row, []).append(merge)
    return starting


def _fill(cells: Cells, number: int, active: list[tuple[Merge, str]], filled: set[Merge]) -> Cells:
    """The row with the cells under a merged range's top-left cell given its value (a copy when changed)."""
    copy: list[str] | None = None
    for merge, value in active:
        if merge.first_row < number <= merge.last_row and value:
            if copy is None:
                copy = [*cells, *[""] * (max(len(cells), merge.first_column + 1) - len(cells))]
            copy[merge.first_column] = value
            filled.add(merge)
    return cells if copy is None else copy


def _data_rows(
    rows: Iterator[Cells], table: LedgerTable, words: Vocabulary, merges: list[Merge], filled: set[Merge]
) -> Iterator[tuple[int, Cells]]:
    """The rows to validate, numbered as in the file; blank and totals rows counted in ``table``, merged
    ranges filled in."""
    id_at = table.positions["id_number"]
    keep = _Keep(table, words)
    starting = _vertical_merges(merges, table)
    if not starting:
        # A row with an ID number is neither blank nor a totals row: the usual row is kept at one look.
        for number, cells in enumerate(rows, start=table.header_row + 1):
            if (id_at < len(cells) and cells[id_at]) or keep(number, cells):
                yield number, cells
        return
    active: list[tuple[Merge, str]] = []
    for number, cells in enumerate(rows, start=table.header_row + 1):
        width = len(cells)
        if number in starting:
            active.extend(
                (m, cells[m.first_column] if m.first_column < width else "") for m in starting[number]
            )
        kept = keep(number, cells)
        if active:
            if kept:
                cells = _fill(cells, number, active, filled)
            active = [(m, value) for m, value in active if m.last_row > number]
        if kept:
            yield number, cells


class _Keep:
    """Whether a row holds ledger data; a blank row (nothing, or only a 序号) or a totals row (合计, 签名,
    ...: its first cell starts so and it has no ID number) is counted in the table and not kept."""

    def __init__(self, table: LedgerTable, words: Vocabulary) -> None:
        self._table, self._totals = table, words.totals
        self._id_at = table.positions["id_number"]
        self._used = sorted(table.positions.values())

    def __call__(self, number: int, cells: Cells) -> bool:
        width = len(cells)
        first = cells[0] if cells and cells[0] else next((c for c in cells if c), "")
        if not first:
            return False
        if first.startswith(self._totals) and (self._id_at >= width or not cells[self._id_at]):
            self._table.totals_rows.append(number)
            return False
        if not any(cells[i] for i in self._used if i < width):
            self._table.blank_rows += 1
            return False
        return True


def _merge_note(filled: set[Merge], headers: list[str]) -> list[str]:
    """One line per column whose merged ranges were filled: 第5–7行 工作单位列是合并单元格，已按合并区域填充."""
    notes = []
    for column in sorted({m.first_column for m in filled}):
        spans = sorted((m.first_row, m.last_row) for m in filled if m.first_column == column)
        shown = "、".join(f"{first}–{last}" for first, last in spans[:5])
        more = f"等{len(spans)}处" if len(spans) > 5 else ""
        notes.append(f"第{shown}行{more} {headers[column]}列是合并单元格，已按合并区域填充")
    return notes


def read_ledger(path: Path | str) -> LedgerTable:
    """Read a ledger file; raise LedgerFileError when it cannot be read or has no usable header."""
    path = Path(path)
    if not path.is_file():
        raise LedgerFileError(f"{path}: 文件不存在")
    try:
        kind = sniff(path)
    except OSError as exc:
        raise LedgerFileError(f"{path.name}: 无法读取文件：{exc.strerror}") from exc
    words = vocabulary()
    really = (
        f"文件名是 {path.suffix or '（无扩展名）'}，内容其实是{kind.value}" if misnamed(path, kind) else ""
    )
    with _open(path, kind) as sheets:
        try:
            sheet, header_row, headers, positions = _choose(sheets, words, path)
        except LedgerFileError as exc:
            raise LedgerFileError(f"{exc}（{really}）" if really else str(exc)) from None
        table = LedgerTable(headers, header_row, positions, [], kind, sheet.name)
        if really:
            table.notes.append(f"{really}：已按实际格式读取")
        table.notes.extend(_sheet_notes(sheets, sheet, words))
        rows = sheet.rows()
        for _ in range(header_row):
            next(rows)
        filled: set[Merge] = set()
        table.rows = list(_data_rows(rows, table, words, sheet.merges, filled))
        table.notes.extend(_merge_note(filled, headers))
    return table


class ReadAhead:
    """A workbook read on a thread of its own from now on, so a command's start (loading the database
    libraries, opening the database) goes on meanwhile: the workbook's parser (python-calamine) works
    without the interpreter's lock. Any other file is read when ``table`` is first called (a CSV is parsed
    holding that lock: a thread would only take turns with the start). ``table`` raises what
    ``read_ledger`` raised."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._result: LedgerTable | BaseException | None = None
        self._thread: threading.Thread | None = None
        if _workbook(self.path):
            self._thread = threading.Thread(target=self._read, name="ledger-read", daemon=True)
            self._thread.start()

    def _read(self) -> None:
        try:
            self._result = read_ledger(self.path)
        except BaseException as exc:  # handed to the caller's thread by table()
            self._result = exc

    def table(self) -> LedgerTable:
        """The file's table, once read."""
        if self._thread is None:
            return read_ledger(self.path)
        self._thread.join()
        if isinstance(self._result, BaseException):
            raise self._result
        if self._result is None:
            raise RuntimeError(f"{self.path.name}: reading ended without a table")
        return self._result


def _workbook(path: Path) -> bool:
    try:
        return path.is_file() and sniff(path) in (Kind.XLSX, Kind.XLS)
    except OSError:  # read_ledger says what is wrong
        return False
