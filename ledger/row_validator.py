"""Validate a ledger's rows column by column: each distinct cell of a column checked once, a column of the
usual cells (plain ID numbers, plain mobile numbers) checked whole; a refused cell refuses its row, with every
error of the row named.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

from ledger.columns import vocabulary
from ledger.validate import (
    FieldError,
    LedgerRow,
    RowError,
    check_confirmed,
    check_employer,
    check_flag,
    check_hours,
    check_id_cell,
    check_name,
    check_phone,
    check_posts,
    shown,
    usual_ids,
    usual_phones,
)

__all__ = ["RowValidator"]


class _Refused:
    """A cell whose check failed, kept in its column in place of a value."""

    __slots__ = ("error",)

    def __init__(self, error: FieldError) -> None:
        self.error = error


def _checked_all(
    check: Callable[[str], Any], cells: Iterable[tuple[Hashable, str]]
) -> tuple[dict[Hashable, Any], bool]:
    """``check`` of each (key, cell) by its key, a _Refused in place of a refused cell's value; and whether
    any was refused."""
    found: dict[Hashable, Any] = {}
    refused = False
    for key, cell in cells:
        try:
            found[key] = check(cell)
        except FieldError as exc:
            found[key], refused = _Refused(exc), True
    return found, refused


# A column whose every cell is usual (the check says so of all the distinct cells of a column of text), and
# its values then: the ID numbers unmasked, the phones as they are.
Usual = tuple[Callable[[set[str]], bool], Callable[[Sequence[str]], list[Any]]]


def _column_values(
    check: Callable[[str], Any], column: Sequence[str], usual: Usual | None = None
) -> tuple[list[Any], bool]:
    """``check`` applied to every cell, and whether any was refused; each distinct cell is checked once, and
    a column of ``usual`` cells not one by one."""
    if set(map(type, column)) <= {str}:
        distinct = set(column)
        if usual is not None and usual[0](distinct):
            return usual[1](column), False
        by_cell, refused = _checked_all(check, zip(distinct, distinct, strict=True))
        return list(map(by_cell.__getitem__, column)), refused
    # An ExcelNumber equals the text it shows but is checked differently: keyed by its type as well.
    keys = list(zip(map(type, column), column, strict=True))
    by_key, refused = _checked_all(check, ((key, key[1]) for key in set(keys)))
    return list(map(by_key.__getitem__, keys)), refused


def _unmasked(ids: Sequence[str]) -> list[tuple[str, bool]]:
    return list(zip(ids, itertools.repeat(False)))


# Fields whose check gives a pair: what stands in for a refused cell.
_PAIRS = ("id_number", "confirmed")


class RowValidator:
    """Validate the rows of one file against its header mapping and the notice's posts."""

    def __init__(
        self,
        positions: Mapping[str, int],
        headers: list[str],
        posts: Iterable[str],
        today: dt.date | None = None,
    ) -> None:
        self._positions = dict(positions)
        self._headers = headers
        allowed = frozenset(posts)
        words = vocabulary()
        flag = functools.partial(check_flag, words=words)
        checks: dict[str, Callable[[str], Any]] = {
            "name": check_name,
            "id_number": functools.partial(check_id_cell, today=today),
            "phone": check_phone,
            "posts": functools.partial(check_posts, allowed=allowed),
            "employer": check_employer,
            "registered": flag,
            "confirmed": functools.partial(check_confirmed, words=words),
            "paid": flag,
            "online_hours": check_hours,
            "offline_hours": check_hours,
            "audited": flag,
        }
        usual: dict[str, Usual] = {
            "id_number": (functools.partial(usual_ids, today=today), _unmasked),
            "phone": (usual_phones, list),
        }
        self._plan = [
            (field, position, checks[field], usual.get(field)) for field, position in self._positions.items()
        ]
        self._width = max(self._positions.values(), default=-1) + 1

    def header(self, field: str) -> str:
        """The header of ``field`` as written in the file."""
        return self._headers[self._positions[field]]

    def __call__(self, row: int, cells: Sequence[str]) -> LedgerRow | list[RowError]:
        """Return the row's values, or every error in it (a row with any error is refused whole)."""
        return self.rows([(row, cells)])[0]

    def rows(self, rows: Sequence[tuple[int, Sequence[str]]]) -> list[LedgerRow | list[RowError]]:
        """Validate ``rows`` (numbered as in the file), column by column; one result per row, in order."""
        if not rows:
            return []
        width = self._width
        cells = [c if len(c) >= width else [*c, *[""] * (width - len(c))] for _, c in rows]
        columns = list(zip(*cells, strict=False))
        values: dict[str, list[Any]] = {}
        refused: dict[int, list[RowError]] = {}
        for field, position, check, usual in self._plan:
            column = columns[position]
            found, any_refused = _column_values(check, column, usual)
            if any_refused:
                header = self._headers[position]
                stand_in = (None, None) if field in _PAIRS else None
                for index, value in enumerate(found):
                    if type(value) is _Refused:
                        error, cell = value.error, column[index]
                        refusal = RowError(
                            rows[index][0], header, error.reason, shown(field, cell), error.fix
                        )
                        refused.setdefault(index, []).append(refusal)
                        found[index] = stand_in
            values[field] = found
        return _assemble(values, len(rows), refused)


def _assemble(
    values: dict[str, list[Any]], count: int, refused: dict[int, list[RowError]]
) -> list[LedgerRow | list[RowError]]:
    """One LedgerRow per row from the checked columns; a refused row's errors in its place."""
    blank: list[Any] = [None] * count
    ids, masked = zip(*values["id_number"], strict=True)
    confirmed, confirmed_on = (
        zip(*values["confirmed"], strict=True) if "confirmed" in values else (blank, blank)
    )
    result: list[LedgerRow | list[RowError]] = list(
        map(
            LedgerRow,
            values["name"],
            ids,
            masked,
            *(values.get(field, blank) for field in ("phone", "posts", "employer", "registered")),
            confirmed,
            confirmed_on,
            *(values.get(field, blank) for field in ("paid", "online_hours", "offline_hours", "audited")),
        )
    )
    for index, errors in refused.items():
        result[index] = errors
    return result
