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


def messy_workbook(path: Path) -> Path:
    """A workbook with every problem staff run into, for the import report (rows 4-16 of sheet 学员名单).

    Meant to be imported after the shared sample (so there are stored trainees to update and to collide with).
    """
    rows = [to_platform(r, i) for i, r in enumerate(sample_rows()[:4], 1)]
    rows[0][10] = "２０学时"  # 刘洋: full-width digits, and 24 → 20 hours (a decrease)
    rows[1][4] = None  # 张伟: phone cell empty — the stored phone stays
    rows[1][9] = "已缴"
    rows[2][3] = 4.30611197210058e17  # 黄敏: the ID number stored as a number by Excel
    rows[3][3] = (
        "４３０６０２１９８７０８１６１３１２"  # 周杰: full-width ID number, matched to the stored one
    )
    rows[3][12] = "已审核"
    new = [
        "王芳",
        "女",
        "430602199001011235",
        "13900001111",
        "平江路桥公司",
        "造价员",
        "√",
        "2023/10/27",
        "√",
    ]
    rows.append([5, *new, "20.5", "12", "未审核", "新学员"])
    rows.append(
        [
            6,
            "黄敏",
            "女",
            "430611197210058002",
            "13639916638",
            "岳阳建工集团",
            "土建质量员",
            "√",
            "×",
            "×",
            "6",
            "12",
            "×",
            "",
        ]
    )
    rows.append(
        [
            7,
            "李强",
            "男",
            "43060219900101123",
            "1.38123E+10",
            "华容县建筑公司",
            "木工",
            "是",
            "否",
            "否",
            "三十",
            "0",
            "否",
            "",
        ]
    )
    rows.append(
        [
            8,
            "赵敏",
            "女",
            "430602900101123",
            "0730-8981006",
            "",
            "安全员",
            "是",
            "也许",
            "否",
            "0",
            "0",
            "否",
            "",
        ]
    )
    rows.append([9])
    rows.append([10])
    rows.append(["合计", "8人"])
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "说明"
    notes.append(["填表说明：身份证号请设为文本格式"])
    titled_sheet(workbook, "学员名单", PLATFORM_HEADER, rows)
    return save(workbook, path)
