"""How one valid ledger row meets what is stored: blanks keep, hours going down wait for a yes.

Pure functions of the row, the stored values and the options; the importer does the reading and writing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.import_report import HoursDecrease, RowNotice
from ledger.validate import LedgerRow

# Columns stored for a trainee that a ledger file sets (posts live in their own table).
STORED = (
    "name",
    "phone",
    "employer",
    "registered",
    "confirmed",
    "confirmed_on",
    "paid",
    "online_hours",
    "offline_hours",
    "audited",
)
HOURS = ("online_hours", "offline_hours")
NEW_TRAINEE: dict[str, Any] = {
    "phone": None,
    "employer": "",
    "registered": False,
    "confirmed": False,
    "confirmed_on": None,
    "paid": False,
    "online_hours": 0.0,
    "offline_hours": 0.0,
    "audited": False,
    "posts": (),
}


@dataclass
class Merged:
    """The values to store for one row, and what deserves a word in the report."""

    values: dict[str, Any]
    decreases: list[HoursDecrease]
    notices: list[RowNotice]


def _confirmed_on(row: LedgerRow, before: dict[str, Any]) -> Any:
    if row.confirmed_on is not None:
        return row.confirmed_on
    if row.confirmed is False:
        return None
    # 是 (or blank) keeps the date an earlier ledger gave.
    return before["confirmed_on"]


def merge(
    number: int,
    row: LedgerRow,
    before: dict[str, Any] | None,
    headers: dict[str, str],
    *,
    accept_decreases: bool = False,
) -> Merged:
    """The values after applying ``row`` to ``before`` (None for a new trainee); blanks keep stored values."""
    base = NEW_TRAINEE if before is None else before
    values: dict[str, Any] = {"name": row.name}
    for name in ("phone", "employer", "registered", "confirmed", "paid", "audited", "posts", *HOURS):
        given = getattr(row, name)
        values[name] = base[name] if given is None else given
    values["confirmed_on"] = _confirmed_on(row, base)
    decreases: list[HoursDecrease] = []
    notices: list[RowNotice] = []
    if before is not None:
        for hours in HOURS:
            if values[hours] < before[hours]:
                decreases.append(
                    HoursDecrease(number, headers[hours], before[hours], values[hours], accept_decreases)
                )
                if not accept_decreases:
                    values[hours] = before[hours]
        if row.name != before["name"]:
            notices.append(
                RowNotice(number, f"姓名由“{before['name']}”改为“{row.name}”（按身份证号对应，已更新）")
            )
    return Merged(values, decreases, notices)


def changed(values: dict[str, Any], before: dict[str, Any]) -> bool:
    """Whether storing ``values`` changes anything of ``before`` (posts included)."""
    return any(values[name] != before[name] for name in (*STORED, "posts"))
