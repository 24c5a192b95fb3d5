"""How one valid ledger row meets what is stored: blanks keep, hours going down wait for a yes.

Pure functions of the row, the stored values and the options; the importer does the reading and writing.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
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


_FLAGS = ("registered", "confirmed", "paid", "audited")
_GIVEN = ("phone", "employer", *_FLAGS, *HOURS)


@dataclass(slots=True)
class Merged:
    """The values to store for one row (posts apart), and what deserves a word in the report."""

    values: dict[str, Any]
    posts: tuple[str, ...]
    decreases: list[HoursDecrease] | tuple[()] = ()
    notices: list[RowNotice] | tuple[()] = ()


def _confirmed_on(row: LedgerRow, before: dict[str, Any]) -> Any:
    if row.confirmed_on is not None:
        return row.confirmed_on
    if row.confirmed is False:
        return None
    # 是 (or blank) keeps the date an earlier ledger gave.
    return before["confirmed_on"]


def new_trainee(row: LedgerRow) -> Merged:
    """A new trainee: blanks are 否 and 0 学时 (the hot path of a first import, hence spelled out)."""
    values = {
        "name": row.name,
        "phone": row.phone,
        "employer": row.employer or "",
        "registered": row.registered is True,
        "confirmed": row.confirmed is True,
        "paid": row.paid is True,
        "audited": row.audited is True,
        "online_hours": row.online_hours or 0.0,
        "offline_hours": row.offline_hours or 0.0,
        "confirmed_on": row.confirmed_on,
    }
    return Merged(values, row.posts or ())


def new_columns(rows: Sequence[LedgerRow]) -> list[list[Any]]:
    """The values of new trainees (as ``new_trainee`` gives them), column by column in ``STORED`` order: a
    first import's hot path."""
    get = {name: list(map(operator.attrgetter(name), rows)) for name in STORED}
    made = {
        "name": get["name"],
        "phone": get["phone"],
        "employer": [employer or "" for employer in get["employer"]],
        "confirmed_on": get["confirmed_on"],
        **{name: [value or 0.0 for value in get[name]] for name in HOURS},
        **{name: [value is True for value in get[name]] for name in _FLAGS},
    }
    return [made[name] for name in STORED]


def merge(
    number: int,
    row: LedgerRow,
    before: dict[str, Any] | None,
    headers: dict[str, str],
    *,
    accept_decreases: bool = False,
) -> Merged:
    """The values after applying ``row`` to ``before`` (None for a new trainee); blanks keep stored values."""
    if before is None:
        return new_trainee(row)
    base = before
    values: dict[str, Any] = {"name": row.name}
    for name in _GIVEN:
        given = getattr(row, name)
        values[name] = base[name] if given is None else given
    values["confirmed_on"] = _confirmed_on(row, base)
    decreases, notices = [], []
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
    return Merged(values, base["posts"] if row.posts is None else row.posts, decreases, notices)


def unchanged(row: LedgerRow, before: dict[str, Any]) -> bool:
    """Whether ``row`` leaves ``before`` as it is (a re-imported row: the hot path, hence spelled out)."""
    return (
        row.name == before["name"]
        and (row.phone is None or row.phone == before["phone"])
        and (row.employer is None or row.employer == before["employer"])
        and (row.registered is None or row.registered == before["registered"])
        and (row.confirmed is None or row.confirmed == before["confirmed"])
        and (row.paid is None or row.paid == before["paid"])
        and (row.audited is None or row.audited == before["audited"])
        and (row.online_hours is None or row.online_hours == before["online_hours"])
        and (row.offline_hours is None or row.offline_hours == before["offline_hours"])
        and (row.posts is None or row.posts == before["posts"])
        and bool(_confirmed_on(row, before) == before["confirmed_on"])
    )


def changed(merged: Merged, before: dict[str, Any]) -> bool:
    """Whether storing ``merged`` changes anything of ``before`` (posts included)."""
    values = merged.values
    return merged.posts != before["posts"] or any(values[name] != before[name] for name in STORED)
