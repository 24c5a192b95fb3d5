"""附件3 as a workbook that prints: title, unit and date, bordered table, totals, signature line.

A4 landscape, fitted to one page wide, the header row repeated on every page, page numbers in the footer.
Written in openpyxl's write-only mode, so 100,000 trainees take little memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger.exporter import SUMMARY_COLUMNS, TITLE, SummaryHead, totals

HEADER_ROW = 3
FONT = "宋体"
# Columns whose text is short and reads best centred.
_CENTRED = {"序号", "性别", "报名", "资格确认", "缴费", "线上学时", "线下学时", "审核", "是否合格"}


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="000000")
    return {
        "title": (Font(name=FONT, size=16, bold=True), Alignment(horizontal="center", vertical="center")),
        "left": (Font(name=FONT, size=11), Alignment(horizontal="left", vertical="center")),
        "right": (Font(name=FONT, size=11), Alignment(horizontal="right", vertical="center")),
        "header": (
            Font(name=FONT, size=10, bold=True),
            Alignment(horizontal="center", vertical="center", wrap_text=True),
        ),
        "centre": (
            Font(name=FONT, size=10),
            Alignment(horizontal="center", vertical="center", wrap_text=True),
        ),
        "text": (Font(name=FONT, size=10), Alignment(horizontal="left", vertical="center", wrap_text=True)),
        "total": (Font(name=FONT, size=10, bold=True), Alignment(horizontal="center", vertical="center")),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "fill": PatternFill("solid", start_color="EDEDED"),
    }


def _cell(sheet: Any, value: object, style: tuple[Any, Any], border: Any = None, fill: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.font, cell.alignment = style
    if border is not None:
        cell.border = border
    if fill is not None:
        cell.fill = fill
    return cell


def _lines(value: object, width: int) -> int:
    """How many lines ``value`` wraps to in a column ``width`` characters wide (a CJK character is two)."""
    text = str(value or "")
    chars = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    # Body text is 10 pt against the 11 pt the column width is measured in, so a line holds a little more.
    return max(1, -(-chars // max(1, int(width * 1.2))))


def _fitting(chars: int, total: object) -> int:
    """A column's width, widened for its total when that is a number: a number does not wrap, and one wider
    than its column prints as ###."""
    return max(chars, len(str(total)) + 1) if isinstance(total, int | float) else chars


def _date_text(head: SummaryHead) -> str:
    if head.on is None:
        return "填报日期：      年    月    日"
    return f"填报日期：{head.on.year}年{head.on.month}月{head.on.day}日"


def _page_setup(sheet: Any) -> None:
    """Print on A4 landscape, one page wide; set before the first row (write-only mode writes it first)."""
    from openpyxl.worksheet.worksheet import Worksheet

    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages tall as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top, sheet.page_margins.bottom = 0.5, 0.8
    sheet.page_margins.footer = 0.35
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.center.size = 9


def write_xlsx(path: Path, rows: list[list[object]], head: SummaryHead) -> None:
    """Write 附件3 with ``rows`` (as summary_rows gives them) to ``path``."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    style = _styles()
    border = style["border"]
    width = len(SUMMARY_COLUMNS)
    last = get_column_letter(width)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("汇总表")
    total = totals(rows)
    widths = [_fitting(chars, value) for (_, chars), value in zip(SUMMARY_COLUMNS, total, strict=True)]
    for index, chars in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = chars + 1.5
    sheet.row_dimensions[1].height = 32
    sheet.row_dimensions[HEADER_ROW].height = 30
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    _page_setup(sheet)
    sheet.append([_cell(sheet, TITLE, style["title"])])
    split = width - 4
    unit = [_cell(sheet, f"填报单位：{head.unit}", style["left"]), *[None] * (split - 1)]
    sheet.append([*unit, _cell(sheet, _date_text(head), style["right"])])
    sheet.append([_cell(sheet, h, style["header"], border, style["fill"]) for h, _ in SUMMARY_COLUMNS])
    kinds = [style["centre"] if h in _CENTRED else style["text"] for h, _ in SUMMARY_COLUMNS]
    for number, row in enumerate(rows, start=HEADER_ROW + 1):
        # Printing does not grow a row to fit wrapped text by itself: give each row the lines it needs.
        lines = max(_lines(value, chars) for value, chars in zip(row, widths, strict=True))
        sheet.row_dimensions[number].height = 6 + 13 * lines
        sheet.append([_cell(sheet, value, kind, border) for value, kind in zip(row, kinds, strict=True)])
    total_row = HEADER_ROW + len(rows) + 1
    sheet.row_dimensions[total_row].height = 6 + 13 * 1
    sheet.append([_cell(sheet, v, style["total"], border) for v in total])
    sheet.append(
        [_cell(sheet, "填表人：              联系电话：                  单位（盖章）：", style["left"])]
    )
    for merged in (
        f"A1:{last}1",
        f"A2:{get_column_letter(split)}2",
        f"{get_column_letter(split + 1)}2:{last}2",
        f"A{total_row + 1}:{last}{total_row + 1}",
    ):
        sheet.merged_cells.add(merged)
    sheet.print_area = f"A1:{last}{total_row + 1}"
    workbook.save(path)
