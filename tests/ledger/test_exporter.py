import csv
import datetime as dt
from pathlib import Path

import pytest

from knowledge.status import HoursRules, TraineeRecord
from ledger.exporter import SUMMARY_COLUMNS, ExportError, export_summary

RULES = HoursRules(yearly=32, online_min=20, offline_proof_min=12)
RECORDS = [
    TraineeRecord(1, "刘洋", "4306**********4985", "13207425393", ("资料员", "安全员"), "岳阳建工集团",
                  True, True, dt.date(2023, 10, 27), True, 20, 12.5, True),
    TraineeRecord(2, "张伟", "4306**********8351", None, ("材料员",), "", False, False, None, False, 6, 0, False),
]  # fmt: skip
HEADERS = [header for header, _ in SUMMARY_COLUMNS]


def test_csv_export(tmp_path: Path) -> None:
    path = tmp_path / "汇总表.csv"
    assert export_summary(RECORDS, RULES, path) == 2
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADERS
    assert rows[1] == ["1", "刘洋", "4306**********4985", "13207425393", "资料员、安全员", "岳阳建工集团",
                       "是", "2023-10-27", "是", "20", "12.5", "是", "是"]  # fmt: skip
    assert rows[2][-1] == "否" and rows[2][3] == ""


def test_xlsx_export_has_bold_headers_and_widths(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "汇总表.xlsx"
    export_summary(RECORDS, RULES, path)
    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.column_dimensions["C"].width == pytest.approx(21, abs=1)
    assert [c.value for c in sheet[2]][:3] == [1, "刘洋", "4306**********4985"]
    assert sheet["J2"].value == 20 and sheet["K2"].value == 12.5
    workbook.close()


def test_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="xlsx"):
        export_summary(RECORDS, RULES, tmp_path / "summary.pdf")
