"""Cells merged down several data rows (an employer written once for its people) are read for every row."""

from pathlib import Path

from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine

from bot.kernel.clock import FixedClock
from knowledge.campaign import load_campaign
from ledger.crypto import IdVault
from ledger.importer import import_ledger
from ledger.store import SQLAlchemyLedgerStore
from tests.ledger.workbooks import PLATFORM_HEADER, sample_rows, save, titled_sheet, to_platform

POSTS = load_campaign().facts.posts
EMPLOYER = PLATFORM_HEADER.index("工作单位") + 1  # column F


def merged_workbook(path: Path) -> Path:
    """The platform's sheet (title, unit row, header on row 3) with 工作单位 merged over rows 5-7 (张伟, 黄敏,
    周杰), 序号 merged over rows 8-9, and 工作单位 merged over row 9 and a row that has only its 序号."""
    rows = [to_platform(row, number) for number, row in enumerate(sample_rows()[:6], start=1)]
    rows[1][EMPLOYER - 1] = "平江路桥公司"
    rows[2][EMPLOYER - 1] = rows[3][EMPLOYER - 1] = None  # what a merged range leaves below its first cell
    rows.append([7])
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    titled_sheet(workbook, "学员名单", PLATFORM_HEADER, rows)
    sheet = workbook["学员名单"]
    sheet.merge_cells(start_row=5, end_row=7, start_column=EMPLOYER, end_column=EMPLOYER)
    sheet.merge_cells(start_row=8, end_row=9, start_column=1, end_column=1)
    sheet.merge_cells(start_row=9, end_row=10, start_column=EMPLOYER, end_column=EMPLOYER)
    return save(workbook, path)


def test_a_column_merged_down_rows_is_filled_and_said_once(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    report = import_ledger(engine, vault, merged_workbook(tmp_path / "合并.xlsx"), POSTS, clock.now())
    assert (report.inserted, report.rejected, report.blank_rows) == (6, 0, 1)
    employers = {r.name: r.employer for r in SQLAlchemyLedgerStore(engine, vault).records()}
    assert [employers[name] for name in ("张伟", "黄敏", "周杰")] == ["平江路桥公司"] * 3
    assert employers["刘洋"] == "岳阳建工集团"  # above the merged range: its own cell
    notes = [note for note in report.file_notes if "合并单元格" in note]
    # Only ranges that filled a data row, in a column that is read: not 序号, not the range over a blank row.
    assert notes == ["第5–7行 工作单位列是合并单元格，已按合并区域填充"]
    assert notes[0] in "\n".join(report.lines())


def test_without_merged_ranges_the_blank_cells_stay_blank(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    path = merged_workbook(tmp_path / "合并.xlsx")
    workbook_path = tmp_path / "未合并.xlsx"
    workbook = load_workbook(path)
    for merged in list(workbook["学员名单"].merged_cells.ranges):
        if merged.min_row > 3:
            workbook["学员名单"].unmerge_cells(str(merged))
    workbook.save(workbook_path)
    report = import_ledger(engine, vault, workbook_path, POSTS, clock.now())
    assert not [note for note in report.file_notes if "合并单元格" in note]
    employers = {r.name: r.employer for r in SQLAlchemyLedgerStore(engine, vault).records()}
    assert employers["黄敏"] == "" and employers["张伟"] == "平江路桥公司"  # a blank cell: nothing is guessed
