"""ReadAhead: a workbook is read on a thread of its own, a CSV when asked; both give read_ledger's table."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from ledger.reading import LedgerFileError, ReadAhead, read_ledger
from tests.ledger.conftest import SAMPLE


def test_a_workbook_is_read_ahead_and_gives_what_read_ledger_gives(tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", "岗位"])
    sheet.append(["刘洋", "430621199208284985", "资料员"])
    workbook.save(path)
    ahead = ReadAhead(path)
    assert ahead._thread is not None  # reading began at once
    assert ahead.table().rows == read_ledger(path).rows == [(2, ("刘洋", "430621199208284985", "资料员"))]


def test_a_csv_is_read_when_asked(tmp_path: Path) -> None:
    ahead = ReadAhead(SAMPLE)
    assert ahead._thread is None
    assert ahead.table().rows == read_ledger(SAMPLE).rows


def test_what_cannot_be_read_is_refused_when_the_table_is_asked_for(tmp_path: Path) -> None:
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    for path in (broken, tmp_path / "没有.xlsx"):
        ahead = ReadAhead(path)
        with pytest.raises(LedgerFileError):
            ahead.table()
