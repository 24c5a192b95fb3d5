"""The summary table (附件3 汇总表) as XLSX or CSV, chosen by the file's suffix."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from knowledge.status import HoursRules, TraineeRecord, assess

# Header and column width (in characters) of the summary table.
SUMMARY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 6),
    ("姓名", 10),
    ("身份证号", 21),
    ("手机号", 14),
    ("岗位", 30),
    ("在岗单位", 24),
    ("报名", 6),
    ("资格确认", 12),
    ("缴费", 6),
    ("线上学时", 10),
    ("线下学时", 10),
    ("审核", 6),
    ("是否合格", 10),
)


class ExportError(Exception):
    """The summary table cannot be written (unknown suffix, unwritable path)."""


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _hours(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def summary_rows(records: Iterable[TraineeRecord], rules: HoursRules) -> list[list[object]]:
    """The summary table's data rows: ID numbers masked, statuses as 是/否, confirmation as its date."""
    rows: list[list[object]] = []
    for number, record in enumerate(records, start=1):
        confirmed = record.confirmed_on.isoformat() if record.confirmed_on else _yes(record.confirmed)
        rows.append(
            [
                number,
                record.name,
                record.id_masked,
                record.phone or "",
                "、".join(record.posts),
                record.employer,
                _yes(record.registered),
                confirmed,
                _yes(record.paid),
                _hours(record.online_hours),
                _hours(record.offline_hours),
                _yes(record.audited),
                _yes(assess(record, rules).qualified),
            ]
        )
    return rows


def _write_csv(path: Path, rows: list[list[object]]) -> None:
    # utf-8-sig so that Excel opens the Chinese text correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([header for header, _ in SUMMARY_COLUMNS])
        writer.writerows(rows)


def _write_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("汇总表")
    for index, (_, width) in enumerate(SUMMARY_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold, centre = Font(bold=True), Alignment(horizontal="center")
    header = []
    for title, _ in SUMMARY_COLUMNS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font, cell.alignment = bold, centre
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def export_summary(records: Iterable[TraineeRecord], rules: HoursRules, path: Path | str) -> int:
    """Write the summary table to ``path`` (.xlsx or .csv); return the number of trainees written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ExportError(f"{path.name}: 只能导出为 .xlsx 或 .csv 文件")
    rows = summary_rows(records, rules)
    try:
        if suffix == ".csv":
            _write_csv(path, rows)
        else:
            _write_xlsx(path, rows)
    except OSError as exc:
        raise ExportError(f"{path}: 无法写入：{exc.strerror}") from exc
    return len(rows)
