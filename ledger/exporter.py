"""The summary table (附件3 汇总表) as XLSX (ready to print) or CSV, chosen by the file's suffix.

ID numbers and phone numbers are masked unless the caller passes the full ID numbers (``--full-ids``, for
the copy that goes to the training point); the same switch shows phones in full. The file imports back
unchanged: masked IDs are matched by their masked form and the name, masked phones keep the stored ones.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.kernel.personal_data import mask_phone
from knowledge.status import HoursRules, TraineeRecord, assess

TITLE = "岳阳市住房城乡建设领域施工现场专业人员继续教育培训汇总表"
# Header and column width (in characters). The notice gives 附件3 only by its title; the columns follow its
# 附件2 (登记表: 姓名, 性别, 身份证号码, 在岗单位, 联系电话) with the posts the table is about, then the ledger's
# steps in the notice's order. Every header is one the import reads back.
SUMMARY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 5),
    ("姓名", 9),
    ("性别", 5),
    ("身份证号码", 21),
    ("岗位", 20),
    ("在岗单位", 20),
    ("联系电话", 13),
    ("报名", 5),
    ("资格确认", 11),
    ("缴费", 5),
    ("线上学时", 6),
    ("线下学时", 6),
    ("审核", 5),
    ("是否合格", 6),
    ("备注", 10),
)
FLAG_COLUMNS = ("报名", "资格确认", "缴费", "审核", "是否合格")
HOURS_COLUMNS = ("线上学时", "线下学时")


class ExportError(Exception):
    """The summary table cannot be written (unknown suffix, unwritable path)."""


@dataclass(frozen=True)
class SummaryHead:
    """What stands above the table: the unit that fills it in and the date."""

    unit: str = ""
    on: dt.date | None = None


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _hours(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def gender(id_masked: str) -> str:
    """男/女 from the 17th character of an ID number (odd: male), which its masked form keeps."""
    digit = id_masked[-2:-1]
    return "" if not digit.isdigit() else ("男" if int(digit) % 2 else "女")


def summary_rows(
    records: Iterable[TraineeRecord], rules: HoursRules, id_numbers: Mapping[int, str] | None = None
) -> list[list[object]]:
    """The data rows: IDs and phones masked unless ``id_numbers`` (trainee id → ID number) is given."""
    rows: list[list[object]] = []
    for number, record in enumerate(records, start=1):
        confirmed = record.confirmed_on.isoformat() if record.confirmed_on else _yes(record.confirmed)
        phone = record.phone or ""
        rows.append(
            [
                number,
                record.name,
                gender(record.id_masked),
                record.id_masked if id_numbers is None else id_numbers[record.trainee_id],
                "、".join(record.posts),
                record.employer,
                mask_phone(phone) if phone and id_numbers is None else phone,
                _yes(record.registered),
                confirmed,
                _yes(record.paid),
                _hours(record.online_hours),
                _hours(record.offline_hours),
                _yes(record.audited),
                _yes(assess(record, rules).qualified),
                "",
            ]
        )
    return rows


def totals(rows: list[list[object]]) -> list[object]:
    """The 合计 row: the number of trainees, how many say 是 in each yes/no column, and the sum of each
    hours column. It has no ID number, so an import of the file skips it (a totals row) and counts it."""
    headers = [header for header, _ in SUMMARY_COLUMNS]
    line: list[object] = ["合计", f"{len(rows)}人", *[None] * (len(headers) - 2)]
    for header in FLAG_COLUMNS:
        index = headers.index(header)
        line[index] = sum(1 for row in rows if row[index] not in ("否", ""))
    for header in HOURS_COLUMNS:
        index = headers.index(header)
        # Hours have a decimal or two at most: the rounded sum prints as 0.3, not 0.30000000000000004.
        line[index] = _hours(round(sum(_number(row[index]) for row in rows), 2))
    return line


def full_id_numbers(engine: Any, vault: Any, campaign: str | None = None) -> dict[int, str]:
    """The campaign's trainees' ID numbers, decrypted (trainee id → ID number); KeyMismatchError with
    another key."""
    from sqlalchemy import select

    from ledger.models import FIRST_CAMPAIGN
    from ledger.store import TRAINEES

    mine = TRAINEES.c.campaign == (campaign or FIRST_CAMPAIGN)
    with engine.connect() as conn:
        query = select(TRAINEES.c.id, TRAINEES.c.id_cipher).where(mine)
        rows = conn.execute(query).all()
    return {trainee_id: vault.decrypt(cipher) for trainee_id, cipher in rows}


def _write_csv(path: Path, rows: list[list[object]]) -> None:
    # utf-8-sig so that Excel opens the Chinese text correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([header for header, _ in SUMMARY_COLUMNS])
        writer.writerows(rows)


def export_summary(
    records: Iterable[TraineeRecord],
    rules: HoursRules,
    path: Path | str,
    *,
    head: SummaryHead | None = None,
    id_numbers: Mapping[int, str] | None = None,
) -> int:
    """Write the summary table to ``path`` (.xlsx or .csv); return the number of trainees written."""
    from ledger.annex3 import write_xlsx

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ExportError(f"{path.name}: 只能导出为 .xlsx 或 .csv 文件")
    rows = summary_rows(records, rules, id_numbers)
    try:
        if suffix == ".csv":
            _write_csv(path, rows)
        else:
            write_xlsx(path, rows, head or SummaryHead())
    except OSError as exc:
        raise ExportError(f"{path}: 无法写入：{exc.strerror}") from exc
    return len(rows)
