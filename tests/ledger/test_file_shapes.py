"""Ledger files as the training platform and staff really make them, built with openpyxl (and one real .xls)."""

import csv
import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, event, func, select

from bot.kernel.clock import FixedClock
from knowledge.campaign import load_campaign
from knowledge.status import TraineeRecord
from ledger import importer
from ledger.crypto import IdVault
from ledger.importer import ImportReport, import_ledger
from ledger.reading import LedgerFileError
from ledger.store import TRAINEES, SQLAlchemyLedgerStore
from tests.ledger.conftest import SAMPLE
from tests.ledger.workbooks import (
    PLATFORM_HEADER,
    messy_workbook,
    plain_workbook,
    platform_workbook,
    sample_rows,
    save,
    titled_sheet,
    to_platform,
)

POSTS = load_campaign().facts.posts
XLS = Path(__file__).parent / "data" / "platform-export.xls"
HEADER = [
    "姓名",
    "身份证号",
    "手机号",
    "岗位",
    "在岗单位",
    "报名",
    "资格确认",
    "缴费",
    "线上学时",
    "线下学时",
    "审核",
]


def with_check_digit(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def run(engine: Engine, vault: IdVault, clock: FixedClock, path: Path, **options: bool) -> ImportReport:
    return import_ledger(engine, vault, path, POSTS, clock.now(), **options)


def records(engine: Engine, vault: IdVault) -> list[TraineeRecord]:
    return list(SQLAlchemyLedgerStore(engine, vault).records())


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(TRAINEES)).scalar_one()


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_a_platform_workbook_as_it_comes(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    report = run(engine, vault, clock, platform_workbook(tmp_path / "平台导出.xlsx"))
    assert (report.inserted, report.rejected, report.blank_rows) == (12, 0, 2)
    notes = "\n".join(report.file_notes)
    assert "读取了工作表“学员名单”（共 2 个工作表）" in notes
    assert "工作表“说明”没有台账表头，未读取" in notes
    assert "表头在第3行" in notes
    assert "未读取的列：序号、性别、备注" in notes
    by_name = {r.name: r for r in records(engine, vault)}
    liu, huang, lin = by_name["刘洋"], by_name["黄敏"], by_name["林娜"]
    assert (liu.online_hours, liu.offline_hours, liu.registered, liu.confirmed) == (24, 6, False, False)
    assert (huang.registered, huang.paid) == (True, False)
    assert (lin.registered, lin.confirmed, lin.paid, lin.online_hours) == (True, True, True, 12.5)
    assert by_name["张伟"].employer == "华容县建筑公司" and by_name["张伟"].phone == "13118318005"
    # The same file again, written by hand in a CSV: nothing changes.
    plain = write_csv(tmp_path / "plain.csv", [HEADER, *sample_rows()[:12]])
    assert run(engine, vault, clock, plain).unchanged == 12


def test_a_real_xls_file_is_read(engine: Engine, vault: IdVault, clock: FixedClock) -> None:
    # platform-export.xls: the platform workbook (phones and hours typed as numbers, one confirmation as a
    # date), saved as Excel 97-2003 by LibreOffice (soffice --headless --convert-to xls).
    report = run(engine, vault, clock, XLS)
    assert (report.inserted, report.rejected) == (12, 0)
    assert "读取了工作表“学员名单”" in report.file_notes[0]
    liu = records(engine, vault)[0]
    assert (liu.name, liu.phone, liu.confirmed_on, liu.offline_hours) == (
        "刘洋",
        "13207425393",
        dt.date(2023, 10, 27),
        6,
    )
    assert run(engine, vault, clock, SAMPLE, dry_run=True).unchanged == 11  # only 刘洋's date differs


def test_id_numbers_stored_as_numbers_are_refused_never_inserted(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    run(engine, vault, clock, SAMPLE)
    rows: list[list[object]] = [list(r) for r in sample_rows()[:3]]
    rows[0][1] = 430621199208284985  # a program wrote the number whole; Excel would not keep it
    rows[2][1] = 4.30611197210058e17  # what Excel keeps of 黄敏's number
    rows[2][5] = "是"
    rows[1][2] = 13118318005.0  # a phone as a number keeps all its digits
    report = run(engine, vault, clock, plain_workbook(tmp_path / "数字.xlsx", HEADER, rows))
    assert (report.inserted, report.rejected, report.unchanged) == (0, 2, 1)
    first, second = (str(e) for e in report.errors)
    assert first.startswith("第2行 身份证号列：“4.30")
    assert second.startswith("第4行 身份证号列：“4.30")
    assert "身份证号被Excel存成了数字，后几位已丢失。改法：把该列设为“文本”格式" in second
    assert count(engine) == 12


def test_full_width_and_other_digits_never_crash(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    wide = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    liu, wu = sample_rows()[0], sample_rows()[4]
    typed = [
        liu[0],
        "\u3000" + liu[1].translate(wide),
        liu[2].translate(arabic),
        *liu[3:8],
        "２４学时",
        "６",
        "否",
    ]
    wu_typed = [wu[0], wu[1].translate(wide), wu[2].translate(wide), *wu[3:]]
    report = run(engine, vault, clock, write_csv(tmp_path / "全角.csv", [HEADER, typed, wu_typed]))
    assert (report.inserted, report.rejected) == (2, 0), report.errors
    assert run(engine, vault, clock, SAMPLE).inserted == 10  # the same two people, matched


def test_a_suspected_duplicate_is_reported_and_held_back(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    run(engine, vault, clock, SAMPLE)
    huang = sample_rows()[2]
    phantom = [
        huang[0],
        with_check_digit("43061119721005800"),
        *huang[2:10],
        "是",
    ]  # same name and phone, new ID
    path = write_csv(tmp_path / "dup.csv", [HEADER, phantom])
    report = run(engine, vault, clock, path)
    assert (report.inserted, report.held_back, count(engine)) == (0, 1, 12)
    text = str(report.duplicates[0])
    assert "第2行：黄敏（手机 136****6638）" in text and "4306**********8213" in text
    assert "--allow-duplicates" in text and "13639916638" not in text
    allowed = run(engine, vault, clock, path, allow_duplicates=True)
    assert (allowed.inserted, count(engine)) == (1, 13)


def test_two_new_rows_for_one_person_in_one_file(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    huang = sample_rows()[2]
    twin = [huang[0], with_check_digit("43061119721005800"), *huang[2:]]
    report = run(engine, vault, clock, write_csv(tmp_path / "twins.csv", [HEADER, huang, twin]))
    assert (report.inserted, report.held_back) == (1, 1)
    assert "本文件第2行" in str(report.duplicates[0])


def test_an_empty_cell_never_wipes_stored_data(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    run(engine, vault, clock, SAMPLE)
    before = records(engine, vault)
    blanks = [
        [name, id_number, "", "", "", "", "", "", "", "", ""] for name, id_number, *_ in sample_rows()[:12]
    ]
    report = run(engine, vault, clock, write_csv(tmp_path / "blank.csv", [HEADER, *blanks]))
    assert (report.unchanged, report.updated, report.rejected) == (12, 0, 0)
    assert records(engine, vault) == before


def test_totals_rows_and_signature_lines_are_skipped(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    rows = [to_platform(r, i) for i, r in enumerate(sample_rows()[:3], 1)]
    rows.append(["合计", "3人", None, None, None, None, None, 1, 0, 0, "36", "18", 0])
    rows.append(["填表人：王芳", None, None, None, "联系电话：0730-8981006"])
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    titled_sheet(workbook, "汇总表", PLATFORM_HEADER, rows)
    report = run(engine, vault, clock, save(workbook, tmp_path / "合计.xlsx"))
    assert (report.inserted, report.rejected) == (3, 0), report.errors
    assert "第7、8行是合计或签名行，已跳过" in report.file_notes


def test_of_two_ledger_sheets_the_first_is_read_and_the_other_named(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    titled_sheet(workbook, "一月", PLATFORM_HEADER, [to_platform(sample_rows()[0], 1)])
    titled_sheet(workbook, "二月", PLATFORM_HEADER, [to_platform(sample_rows()[1], 1)])
    report = run(engine, vault, clock, save(workbook, tmp_path / "两表.xlsx"))
    assert report.inserted == 1
    assert "工作表“二月”也像台账，未读取" in "\n".join(report.file_notes)


def test_a_misnamed_file_is_read_as_what_it_is(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    xlsx_as_csv = tmp_path / "台账.csv"
    platform_workbook(tmp_path / "x.xlsx").rename(xlsx_as_csv)
    report = run(engine, vault, clock, xlsx_as_csv)
    assert report.inserted == 12
    assert "文件名是 .csv，内容其实是Excel 工作簿（.xlsx）：已按实际格式读取" in report.file_notes
    xls_as_xlsx = shutil.copy(XLS, tmp_path / "台账.xlsx")
    again = run(engine, vault, clock, Path(xls_as_xlsx))
    assert "内容其实是Excel 97-2003 工作簿（.xls）" in again.file_notes[0]
    assert again.rejected == 0


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        (
            "导出.xls",
            "<html><body><table><tr><td>姓名</td></tr></table></body></html>".encode(),
            "网页（HTML）文件",
        ),
        ("台账.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "PDF 文件"),
        ("台账.xls", b"\x89PNG\r\n\x1a\n" + bytes(40), "图片"),
        ("台账.xlsx", None, "Word 文档（.docx）"),
    ],
)
def test_files_that_are_no_ledger_are_refused_by_what_they_are(
    engine: Engine,
    vault: IdVault,
    clock: FixedClock,
    tmp_path: Path,
    name: str,
    content: bytes | None,
    said: str,
) -> None:
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as docx:
            docx.writestr("[Content_Types].xml", "<Types/>")
            docx.writestr("word/document.xml", "<w:document/>")
    else:
        path.write_bytes(content)
    with pytest.raises(LedgerFileError, match=said) as refused:
        run(engine, vault, clock, path)
    assert "另存为 .xlsx" in str(refused.value) or "请导入 .xlsx" in str(refused.value)


def test_writes_go_in_short_batches(
    engine: Engine, vault: IdVault, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 5)
    commits: list[int] = []
    event.listen(engine, "commit", lambda conn: commits.append(1))
    report = run(engine, vault, clock, SAMPLE)
    assert report.inserted == 12
    assert len(commits) == 3  # 5 + 5 + 2 trainees, each batch its own transaction
    assert count(engine) == 12


def test_the_report_of_a_messy_file_names_every_problem(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    run(engine, vault, clock, SAMPLE)
    report = run(engine, vault, clock, messy_workbook(tmp_path / "乱.xlsx"))
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (1, 2, 1, 3)
    text = "\n".join(report.lines())
    for expected in (
        "共 8 行：新增 1 人，更新 2 人，未变 1 人，拒绝 3 行，疑似重复 1 行，学时下降 1 处",
        "工作表“说明”没有台账表头，未读取",
        "第6行 身份证号码列：“4.30************e+17”——身份证号被Excel存成了数字，后几位已丢失",
        "第10行 联系电话列：“1.3****E+10”——手机号被Excel存成了科学计数法",
        "第11行 身份证号码列：“4306*******1123”——这是15位的旧身份证号。改法：改为18位的新身份证号",
        "第11行 是否确认列：“也许”——看不出是“是”还是“否”",
        "第9行：黄敏（手机 136****6638）的身份证号是新的，但姓名和手机号与已有学员（4306**********8213）相同",
        "第4行 线上学时(学时)列：学时由 24 降为 20——未改动，仍为 24",
        "第14行是合计或签名行，已跳过",
        "跳过空行 2 行",
    ):
        assert expected in text, expected
    by_name = {r.name: r for r in records(engine, vault)}
    assert by_name["张伟"].phone == "13118318005" and by_name["张伟"].paid  # blank phone kept, 已缴 read
    assert by_name["周杰"].audited and by_name["刘洋"].online_hours == 24
    assert by_name["王芳"].confirmed_on == dt.date(2023, 10, 27) and by_name["王芳"].online_hours == 20.5
