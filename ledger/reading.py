"""Read a ledger file (CSV in UTF-8 or GBK, or XLSX) into its header and rows of text cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from ledger.validate import map_headers, missing_columns

HEADER_SEARCH_ROWS = 10
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")


class LedgerFileError(Exception):
    """A ledger file that cannot be used at all (unreadable, or required columns missing)."""


@dataclass(frozen=True)
class LedgerTable:
    """The header (as written), its row number, the field positions, and the data rows with their numbers."""

    headers: list[str]
    header_row: int
    positions: dict[str, int]
    rows: list[tuple[int, list[str]]]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError(f"{path.name}: 无法识别文件编码（支持 UTF-8 和 GBK）")


def _csv_rows(path: Path) -> Generator[list[str], None, None]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LedgerFileError(f"{path.name}: 无法读取文件：{exc.strerror}") from exc
    if raw.startswith(b"PK\x03\x04"):
        raise LedgerFileError(f"{path.name}: 这是 Excel 文件，请使用 .xlsx 扩展名")
    text = _decode(raw, path)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [cell.strip() for cell in record]
    except csv.Error as exc:
        raise LedgerFileError(f"{path.name}: CSV 格式错误：{exc}") from exc


def _xlsx_rows(path: Path) -> Generator[list[str], None, None]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LedgerFileError(f"{path.name}: 无法作为 Excel 文件打开：{exc}") from exc
    try:
        sheet = workbook.active
        if sheet is None:
            raise LedgerFileError(f"{path.name}: 工作簿中没有工作表")
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _find_header(rows: Iterator[list[str]], path: Path) -> tuple[int, list[str], dict[str, int]]:
    for number, cells in enumerate(rows, start=1):
        positions = map_headers(cells)
        if "name" in positions and "id_number" in positions:
            return number, cells, positions
        if number >= HEADER_SEARCH_ROWS:
            break
    raise LedgerFileError(f"{path.name}: 前{HEADER_SEARCH_ROWS}行中找不到表头（需要“姓名”和“身份证号”列）")


def read_ledger(path: Path | str) -> LedgerTable:
    """Read a ledger file; raise LedgerFileError when it cannot be read or lacks required columns."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise LedgerFileError(f"{path}: 文件不存在")
    if suffix in XLSX_SUFFIXES:
        rows = _xlsx_rows(path)
    elif suffix in CSV_SUFFIXES:
        rows = _csv_rows(path)
    else:
        raise LedgerFileError(f"{path.name}: 只支持 .csv 和 .xlsx 文件")
    try:
        header_row, headers, positions = _find_header(rows, path)
        missing = missing_columns(positions)
        if missing:
            raise LedgerFileError(f"{path.name}: 缺少必需的列：{'、'.join(missing)}")
        data = [(number, cells) for number, cells in enumerate(rows, start=header_row + 1) if any(cells)]
    finally:
        rows.close()
    return LedgerTable(headers=headers, header_row=header_row, positions=positions, rows=data)
