import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from bot.kernel.clock import FixedClock
from knowledge.campaign import load_campaign
from knowledge.status import HoursRules, TraineeRecord
from ledger.crypto import IdVault
from ledger.exporter import SUMMARY_COLUMNS, TITLE, ExportError, SummaryHead, export_summary, full_id_numbers
from ledger.importer import import_ledger
from ledger.store import SQLAlchemyLedgerStore
from tests.ledger.conftest import SAMPLE

RULES = HoursRules(yearly=32, online_min=20, offline_proof_min=12)
POSTS = load_campaign().facts.posts
RECORDS = [
    TraineeRecord(1, "刘洋", "4306**********4985", "13207425393", ("设备安装质量员", "市政工程施工员"), "岳阳建工集团",
                  True, True, dt.date(2023, 10, 27), True, 20, 12.5, True),
    TraineeRecord(2, "张伟", "4306**********8351", None, ("材料员",), "", False, False, None, False, 6, 0, False),
]  # fmt: skip
HEADERS = [header for header, _ in SUMMARY_COLUMNS]
HEAD = SummaryHead("岳阳建工集团", dt.date(2023, 11, 24))


def test_csv_export_masks_ids_and_phones(tmp_path: Path) -> None:
    path = tmp_path / "汇总表.csv"
    assert export_summary(RECORDS, RULES, path) == 2
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADERS
    assert rows[1] == ["1", "刘洋", "女", "4306**********4985", "设备安装质量员、市政工程施工员", "岳阳建工集团", "132****5393",
                       "是", "2023-10-27", "是", "20", "12.5", "是", "是", ""]  # fmt: skip
    assert rows[2][2] == "男" and rows[2][6] == "" and rows[2][13] == "否"


def test_full_ids_show_phones_too(tmp_path: Path) -> None:
    path = tmp_path / "full.csv"
    export_summary(RECORDS, RULES, path, id_numbers={1: "430621199208284985", 2: "430611199612188351"})
    with path.open(encoding="utf-8-sig") as fh:
        first = list(csv.reader(fh))[1]
    assert (first[3], first[6]) == ("430621199208284985", "13207425393")


def test_xlsx_is_annex_3_ready_to_print(tmp_path: Path) -> None:
    path = tmp_path / "汇总表.xlsx"
    export_summary(RECORDS, RULES, path, head=HEAD)
    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    assert sheet["A1"].value == TITLE and sheet["A1"].font.bold
    assert sheet["A2"].value == "填报单位：岳阳建工集团"
    assert [c.value for c in sheet[2] if c.value][-1] == "填报日期：2023年11月24日"
    assert [c.value for c in sheet[3]] == HEADERS and all(c.font.bold for c in sheet[3])
    assert [c.value for c in sheet[4]][:4] == [1, "刘洋", "女", "4306**********4985"]
    assert sheet["K4"].value == 20 and sheet["L4"].value == 12.5
    assert [c.value for c in sheet[6]][:2] == ["合计", "2人"]
    assert [sheet[f"{col}6"].value for col in "HIJMN"] == [1, 1, 1, 1, 1]
    assert (sheet["K6"].value, sheet["L6"].value) == (26, 12.5)  # the hours summed
    assert all(
        sheet.cell(6, col).border.left.style == "thin" and sheet.cell(6, col).font.bold
        for col in range(1, 16)
    )
    assert str(sheet["A7"].value).startswith("填表人：")
    assert {"A1:O1", "A7:O7"} <= {str(r) for r in sheet.merged_cells.ranges}
    assert all(sheet.cell(4, col).border.left.style == "thin" for col in range(1, 16))
    # A4 landscape, one page wide, the header repeated on every page, the print area the table.
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.print_area == "'汇总表'!$A$1:$O$7"
    assert sheet.freeze_panes == "A4"
    assert sheet.row_dimensions[4].height > sheet.row_dimensions[5].height  # two posts wrap to two lines
    workbook.close()


def test_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="xlsx"):
        export_summary(RECORDS, RULES, tmp_path / "summary.pdf")


def _dump(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT name, phone, employer, registered, confirmed, confirmed_on, paid, online_hours, "
                 "offline_hours, audited, id_masked FROM trainees ORDER BY id")
        ).all()  # fmt: skip


@pytest.mark.parametrize("full", [False, True], ids=["masked", "full-ids"])
def test_the_exported_file_imports_back_unchanged(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path, full: bool
) -> None:
    import_ledger(engine, vault, SAMPLE, POSTS, clock.now())
    before = _dump(engine)
    store = SQLAlchemyLedgerStore(engine, vault)
    path = tmp_path / "附件3.xlsx"
    ids = full_id_numbers(engine, vault) if full else None
    export_summary(list(store.records()), RULES, path, head=HEAD, id_numbers=ids)
    report = import_ledger(engine, vault, path, POSTS, clock.now())
    assert (report.unchanged, report.inserted, report.updated, report.rejected) == (12, 0, 0, 0), (
        report.errors
    )
    # The 合计 row (with the hours summed) and the signature line are skipped, not read as trainees.
    assert "第16、17行是合计或签名行，已跳过" in report.file_notes
    assert report.rows == 12
    assert _dump(engine) == before


def test_the_totals_row_sums_the_hours_and_a_wide_total_fits_its_column(tmp_path: Path) -> None:
    many = [
        TraineeRecord(n, "王芳", "4306**********4985", None, ("材料员",), "", True, True, None, True, 99.5, 0.1, True)
        for n in range(1, 3_001)
    ]  # fmt: skip
    path = tmp_path / "附件3.xlsx"
    export_summary(many, RULES, path, head=HEAD)
    sheet = load_workbook(path, read_only=False).active
    assert sheet is not None
    total = 3 + len(many) + 1
    assert [sheet.cell(total, col).value for col in (1, 2, 11, 12)] == ["合计", "3000人", 298500, 300]
    # 298500 has 6 digits: its column is widened from 6 characters (and a margin) to 7, or it would print
    # as ###; 300 fits its column as it is.
    assert (sheet.column_dimensions["K"].width, sheet.column_dimensions["L"].width) == (7 + 1.5, 6 + 1.5)


def test_a_full_export_rebuilds_the_ledger_elsewhere(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    from ledger.db import make_engine, migrate

    import_ledger(engine, vault, SAMPLE, POSTS, clock.now())
    first = tmp_path / "a.xlsx"
    records = list(SQLAlchemyLedgerStore(engine, vault).records())
    export_summary(records, RULES, first, head=HEAD, id_numbers=full_id_numbers(engine, vault))
    other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    migrate(other)
    assert import_ledger(other, vault, first, POSTS, clock.now()).inserted == 12
    second = tmp_path / "b.xlsx"
    again = list(SQLAlchemyLedgerStore(other, vault).records())
    export_summary(again, RULES, second, head=HEAD, id_numbers=full_id_numbers(other, vault))
    assert _dump(other) == _dump(engine)
    cells = [[c.value for c in row] for row in load_workbook(first).active.iter_rows()]  # type: ignore[union-attr]
    assert cells == [[c.value for c in row] for row in load_workbook(second).active.iter_rows()]  # type: ignore[union-attr]
    other.dispose()
