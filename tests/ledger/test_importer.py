import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from bot.kernel.clock import FixedClock
from knowledge.campaign import load_campaign
from knowledge.status import TraineeRecord
from ledger.crypto import IdVault
from ledger.importer import ImportReport, import_ledger
from ledger.reading import LedgerFileError
from ledger.store import TRAINEES, SQLAlchemyLedgerStore
from tests.ledger.conftest import SAMPLE

POSTS = load_campaign().facts.posts
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
LIU = [
    "刘洋",
    "430621199208284985",
    "13207425393",
    "资料员",
    "岳阳建工集团",
    "否",
    "否",
    "否",
    "24",
    "6",
    "否",
]


def run(engine: Engine, vault: IdVault, clock: FixedClock, path: Path, dry_run: bool = False) -> ImportReport:
    return import_ledger(engine, vault, path, POSTS, clock.now(), dry_run=dry_run)


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def records(engine: Engine, vault: IdVault) -> list[TraineeRecord]:
    return list(SQLAlchemyLedgerStore(engine, vault).records())


def test_the_sample_loads_twelve_rows_and_rejects_row_14(
    engine: Engine, vault: IdVault, clock: FixedClock
) -> None:
    report = run(engine, vault, clock, SAMPLE)
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (12, 0, 0, 1)
    assert [(e.row, e.column) for e in report.errors] == [
        (14, "手机号"),
        (14, "岗位"),
        (14, "线上学时"),
        (14, "线下学时"),
    ]
    assert "木工" in report.errors[1].reason
    assert str(report.errors[0]).startswith("第14行 手机号列：“12345”——")
    stored = records(engine, vault)
    assert [r.name for r in stored][:3] == ["刘洋", "张伟", "黄敏"]
    zhang = stored[1]
    assert zhang.posts == ("设备安装质量员", "市政工程施工员")
    assert zhang.id_masked == "4306**********8351"
    assert SQLAlchemyLedgerStore(engine, vault).find_by_id_number("43060319820821308x") == stored[4]


def test_reimporting_the_same_file_changes_nothing(engine: Engine, vault: IdVault, clock: FixedClock) -> None:
    run(engine, vault, clock, SAMPLE)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT * FROM trainees ORDER BY id")).all()
    clock.advance(dt.timedelta(days=1))
    report = run(engine, vault, clock, SAMPLE)
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (0, 0, 12, 1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM trainees ORDER BY id")).all() == before


def test_dry_run_writes_nothing(engine: Engine, vault: IdVault, clock: FixedClock) -> None:
    report = run(engine, vault, clock, SAMPLE, dry_run=True)
    assert (report.inserted, report.rejected, report.dry_run) == (12, 1, True)
    assert records(engine, vault) == []


def test_updates_are_counted_and_hours_going_down_are_flagged(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    run(engine, vault, clock, write_csv(tmp_path / "a.csv", [HEADER, LIU]))
    lower = [*LIU[:3], "资料员/安全员", *LIU[4:6], "2023-10-27", "是", "20", "6", "否"]
    report = run(engine, vault, clock, write_csv(tmp_path / "b.csv", [HEADER, lower]))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    assert [(w.row, w.column, w.before, w.after) for w in report.warnings] == [(2, "线上学时", 24, 20)]
    assert "24 降为 20" in str(report.warnings[0]) and "--accept-decreases" in str(report.warnings[0])
    (liu,) = records(engine, vault)
    # Everything else applied; the hours wait for a yes.
    assert (liu.online_hours, liu.paid, liu.posts) == (24, True, ("资料员", "安全员"))
    accepted = import_ledger(engine, vault, tmp_path / "b.csv", POSTS, clock.now(), accept_decreases=True)
    assert (accepted.updated, accepted.warnings[0].applied) == (1, True)
    assert records(engine, vault)[0].online_hours == 20
    assert (liu.confirmed, liu.confirmed_on) == (True, dt.date(2023, 10, 27))
    # 是 without a date keeps the date already known.
    again = [*lower[:6], "是", *lower[7:]]  # now 20 hours stored
    assert run(engine, vault, clock, write_csv(tmp_path / "c.csv", [HEADER, again])).unchanged == 1


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01garbage\xff\xfe\xfa",
        "姓名,手机号\n刘洋,13207425393\n".encode(),
        "名字,号码\n刘洋,1\n".encode(),
        b"",
    ],
)
def test_a_bad_file_changes_nothing(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path, content: bytes
) -> None:
    run(engine, vault, clock, SAMPLE)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(LedgerFileError):
        run(engine, vault, clock, bad)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TRAINEES)).scalar_one() == 12


def test_a_file_with_only_some_columns_updates_those_and_keeps_the_rest(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    run(engine, vault, clock, SAMPLE)
    new = ["王芳", "430602199001011235", "30"]
    path = write_csv(tmp_path / "hours.csv", [["name", "id_number", "线上学时"], [*LIU[:2], "30"], new])
    report = run(engine, vault, clock, path)
    assert (report.updated, report.inserted, report.rejected) == (1, 0, 1)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [(3, "岗位", "新学员没有填岗位")]
    assert any("没有手机号列" in note for note in report.file_notes)
    liu = records(engine, vault)[0]
    assert (liu.online_hours, liu.offline_hours, liu.phone, liu.posts) == (30, 6, "13207425393", ("资料员",))


def test_gbk_english_headers_any_order_and_extra_columns(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    header = ["audited", "备注", "offline_hours", "online_hours", "paid", "confirmed", "registered"]
    header += ["posts", "id_number", "name"]
    row = ["N", "随便", "12", "20", "1", "Y", "true", "安全员，资料员", "430621199208284985", "刘洋"]
    report = run(engine, vault, clock, write_csv(tmp_path / "gbk.csv", [header, row], encoding="gbk"))
    assert (report.inserted, report.rejected) == (1, 0)
    (liu,) = records(engine, vault)
    assert (liu.phone, liu.employer, liu.posts) == (None, "", ("安全员", "资料员"))
    assert (liu.registered, liu.confirmed, liu.paid, liu.audited) == (True, True, True, False)


def test_a_repeated_id_number_in_one_file_is_rejected(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    report = run(engine, vault, clock, write_csv(tmp_path / "dup.csv", [HEADER, LIU, LIU]))
    assert (report.inserted, report.rejected) == (1, 1)
    assert (
        str(report.errors[0])
        == "第3行 身份证号列：“4306**********4985”——身份证号与第2行重复。改法：删除重复的一行"
    )


def test_xlsx_round_trip(engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path) -> None:
    from openpyxl import Workbook

    with SAMPLE.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["岳阳市住房城乡建设领域施工现场专业人员继续教育培训汇总表"])
    for number, row in enumerate(rows):
        # Numbers as numbers and a real date, as Excel users type them.
        values: list[object] = list(row)
        if number and row[0] != "坏数据":
            values[2], values[8], values[9] = int(row[2]), float(row[8]), float(row[9])
        sheet.append(values)
    sheet.cell(row=3, column=7, value=dt.datetime(2023, 10, 27))
    path = tmp_path / "ledger.xlsx"
    workbook.save(path)
    report = run(engine, vault, clock, path)
    assert (report.inserted, report.rejected) == (12, 1)
    assert {e.row for e in report.errors} == {15}
    first = records(engine, vault)[0]
    assert (first.confirmed, first.confirmed_on, first.online_hours) == (True, dt.date(2023, 10, 27), 24)
    csv_engine_free = run(engine, vault, clock, SAMPLE, dry_run=True)
    assert (csv_engine_free.updated, csv_engine_free.unchanged) == (1, 11)


def test_not_an_xlsx_file(engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(LedgerFileError, match="内容其实是文本表格"):
        run(engine, vault, clock, path)


def test_a_small_file_against_a_larger_table(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path
) -> None:
    run(engine, vault, clock, SAMPLE)
    changed = [*LIU[:3], "安全员", *LIU[4:8], "30", "6", "是"]
    new = ["王芳", "430602199001011235", "", "造价员", "", "是", "否", "否", "0", "0", "否"]
    report = run(engine, vault, clock, write_csv(tmp_path / "one.csv", [HEADER, changed, new]))
    assert (report.inserted, report.updated, report.unchanged, report.warnings) == (1, 1, 0, [])
    by_name = {r.name: r for r in records(engine, vault)}
    assert len(by_name) == 13
    assert (by_name["刘洋"].posts, by_name["刘洋"].online_hours, by_name["刘洋"].audited) == (
        ("安全员",),
        30,
        True,
    )
    assert by_name["张伟"].posts == ("设备安装质量员", "市政工程施工员")
    assert by_name["王芳"].phone is None


def test_progress_is_reported(engine: Engine, vault: IdVault, clock: FixedClock) -> None:
    seen: list[tuple[int, int]] = []
    import_ledger(
        engine, vault, SAMPLE, POSTS, clock.now(), progress=lambda done, total: seen.append((done, total))
    )
    assert seen[-1] == (13, 13)


def test_validating_in_chunks_changes_nothing_in_the_report(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger import accepting

    with SAMPLE.open(encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    # A repeat of row 2 far below it (another chunk when chunks are small), a masked ID number, the bad row 14.
    rows = [*rows, rows[0], [rows[1][0], "4306**********8351", *rows[1][2:]]]
    path = write_csv(tmp_path / "台账.csv", [header, *rows])
    whole = run(engine, vault, clock, path, dry_run=True)
    monkeypatch.setattr(accepting, "VALIDATE_CHUNK", 3)
    chunked = run(engine, vault, clock, path, dry_run=True)
    assert [str(e) for e in chunked.errors] == [str(e) for e in whole.errors]
    assert (chunked.inserted, chunked.rejected, chunked.unchanged) == (whole.inserted, whole.rejected, 0)
    assert whole.rejected == 3  # row 14, the repeat of row 2, the masked ID number nobody has yet
    assert any("与第2行重复" in str(e) for e in whole.errors)


def _with_check_digit(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def test_a_first_import_written_while_it_is_validated_reports_what_a_dry_run_does(
    engine: Engine, vault: IdVault, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 4 rows, batches of 3: an ID repeated three chunks later is refused, a new ID with the name
    and phone of a row two chunks before is held back, and what is stored is what the file says."""
    from ledger import accepting, importer

    monkeypatch.setattr(accepting, "VALIDATE_CHUNK", 4)
    monkeypatch.setattr(importer, "BATCH", 3)
    monkeypatch.setattr(importer, "_writes_behind", lambda engine: True)  # SQLite too (slower, as correct)
    with SAMPLE.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    twin = [rows[3][0], _with_check_digit("43060219900101123"), *rows[3][2:]]  # 黄敏's name and phone
    path = write_csv(tmp_path / "ledger.csv", [*rows, rows[2], twin])
    planned = run(engine, vault, clock, path, dry_run=True)
    report = run(engine, vault, clock, path)
    assert (report.inserted, report.rejected, report.held_back) == (12, 2, 1)
    assert list(report.lines())[1:] == list(planned.lines())[1:]  # the same refusals and holds, in order
    assert [(e.row, e.column) for e in report.errors][-1] == (15, "身份证号")  # 张伟's ID again
    assert report.duplicates[0].row == 16
    stored = {(r.name, r.online_hours, r.posts) for r in records(engine, vault)}
    assert len(stored) == 12 and ("张伟", 6, ("设备安装质量员", "市政工程施工员")) in stored


def test_threads_switch_promptly_and_the_collector_rests_during_an_import_only(
    engine: Engine, vault: IdVault, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import sys

    from ledger import importer

    seen: list[tuple[float, bool]] = []
    real = importer._file_notes

    def noting(table: Any) -> list[str]:
        seen.append((sys.getswitchinterval(), gc.isenabled()))
        return real(table)

    monkeypatch.setattr(importer, "_file_notes", noting)
    before = sys.getswitchinterval()
    assert before > importer.SWITCH_INTERVAL and gc.isenabled()
    run(engine, vault, clock, SAMPLE)
    assert seen == [(importer.SWITCH_INTERVAL, False)]
    assert sys.getswitchinterval() == before and gc.isenabled()
