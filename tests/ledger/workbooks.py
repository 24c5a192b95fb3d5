"""Real ledger files, built with openpyxl the way the training platform and staff make them."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from tests.ledger.conftest import SAMPLE

TITLE = "岳阳市住房城乡建设领域施工现场专业人员继续教育培训汇总表"
# The training platform's column names, in its order, with columns the ledger does not read.
PLATFORM_HEADER = [
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "联系电话",
    "工作单位",
    "岗位名称",
    "是否报名",
    "是否确认",
    "是否缴费",
    "线上学时(学时)",
    "线下学时（学时）",
    "审核状态",
    "备注",
]


def sample_rows() -> list[list[str]]:
    """The shared sample's data rows (12 good ones and the bad last one), as text."""
    with SAMPLE.open(encoding="utf-8") as fh:
        return list(csv.reader(fh))[1:]


def to_platform(row: Sequence[str], number: int) -> list[Any]:
    """A sample row in the platform's columns and words: 已确认/未缴/已审核, "24学时", gender, 备注."""
    name, id_number, phone, posts, employer, registered, confirmed, paid, online, offline, audited = row
    words = {"是": ("√", "已确认", "已缴", "已审核"), "否": ("×", "未确认", "未缴", "未审核")}
    gender = "男" if id_number[-2].isdigit() and int(id_number[-2]) % 2 else "女"
    return [
        number,
        name,
        gender,
        id_number,
        phone,
        employer,
        posts,
        words[registered][0],
        words[confirmed][1],
        words[paid][2],
        f"{online}学时",
        offline,
        words[audited][3],
        "",
    ]


def save(workbook: Workbook, path: Path) -> Path:
    workbook.save(path)
    return path


def titled_sheet(workbook: Workbook, name: str, header: list[str], rows: list[list[Any]]) -> None:
    """A sheet as staff lay it out: a merged, centred title row, a unit/date row, then the table."""
    sheet = workbook.create_sheet(name)
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, end_row=1, start_column=1, end_column=len(header))
    sheet["A1"].font, sheet["A1"].alignment = Font(bold=True, size=16), Alignment(horizontal="center")
    sheet.append(["填报单位：岳阳建工集团", *[None] * 8, "填报日期：2023年11月20日"])
    sheet.merge_cells(start_row=2, end_row=2, start_column=1, end_column=5)
    sheet.append(header)
    for row in rows:
        sheet.append(row)


def platform_workbook(path: Path, rows: list[list[Any]] | None = None) -> Path:
    """A 说明 sheet first, then the data under a title; blank rows with only 序号; trailing empty rows."""
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "说明"
    notes.append(["填表说明"])
    notes.append(["1. 身份证号请设为文本格式"])
    notes.append(["2. 一人多岗用顿号隔开"])
    data = rows if rows is not None else [to_platform(r, i) for i, r in enumerate(sample_rows()[:12], 1)]
    data = [*data, [len(data) + 1], [len(data) + 2], [None], [None, None]]
    titled_sheet(workbook, "学员名单", PLATFORM_HEADER, data)
    return save(workbook, path)


def plain_workbook(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    """One sheet: the header on row 1, then the rows as given (numbers stay numbers)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    return save(workbook, path)
