"""Validate a ledger's rows and key each by its ID number: the lookup hash, or the masked form and the name.

A row repeating an ID number of an earlier row is refused; rows go column by column in chunks, and a chunk
of valid rows with full ID numbers (the usual one) is accepted in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bot.kernel.personal_data import mask_id
from ledger.crypto import IdVault
from ledger.import_report import ImportReport
from ledger.reading import LedgerTable
from ledger.row_validator import RowValidator
from ledger.validate import LedgerRow, RowError

# Rows validated at a time (column by column), between two progress reports.
VALIDATE_CHUNK = 10_000
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class Accepted:
    """A valid row: its number in the file, its key, its values."""

    row: int
    key: str  # the ID number's lookup hash, or "masked:<masked ID>:<name>"
    values: LedgerRow


def _accept_all(
    results: list[LedgerRow | list[RowError]],
    numbers: list[int],
    vault: IdVault,
    first_row: dict[str, int],
    accepted: list[Accepted],
) -> bool:
    """Accept a chunk whose rows are all valid, with full ID numbers seen nowhere else (the usual chunk)."""
    rows = [r for r in results if type(r) is LedgerRow and not r.id_is_masked]
    if len(rows) < len(results):
        return False
    keys = vault.lookup_hashes([r.id_number for r in rows])
    if not first_row.keys().isdisjoint(keys) or len(set(keys)) < len(keys):
        return False
    first_row.update(zip(keys, numbers, strict=True))
    accepted.extend(map(Accepted, numbers, keys, rows))
    return True


def _check_each(
    results: list[LedgerRow | list[RowError]],
    numbers: list[int],
    vault: IdVault,
    id_header: str,
    first_row: dict[str, int],
    accepted: list[Accepted],
    report: ImportReport,
) -> None:
    """Accept the valid rows of a chunk that holds refused rows, masked ID numbers or repeated ID numbers."""
    valid = [r for r in results if isinstance(r, LedgerRow)]
    hashes = iter(vault.lookup_hashes([r.id_number for r in valid if not r.id_is_masked]))
    for number, result in zip(numbers, results, strict=True):
        if not isinstance(result, LedgerRow):
            report.rejected += 1
            report.errors.extend(result)
            continue
        key = f"masked:{result.id_number}:{result.name}" if result.id_is_masked else next(hashes)
        if key in first_row:
            report.rejected += 1
            shown = mask_id(result.id_number)
            report.errors.append(
                RowError(number, id_header, f"身份证号与第{first_row[key]}行重复", shown, "删除重复的一行")
            )
            continue
        first_row[key] = number
        accepted.append(Accepted(number, key, result))


def accept_chunks(
    table: LedgerTable,
    posts: Iterable[str],
    vault: IdVault,
    report: ImportReport,
    today: dt.date,
    progress: Progress | None,
) -> Iterator[list[Accepted]]:
    """The valid rows of ``table``, keyed, a chunk at a time; the refused ones counted and explained in
    ``report`` (a row repeating an earlier row's ID number is refused, so a chunk's rows stay accepted)."""
    validate = RowValidator(table.positions, table.headers, posts, today)
    id_header = validate.header("id_number")
    first_row: dict[str, int] = {}
    for done, start in enumerate(range(0, len(table.rows), VALIDATE_CHUNK), start=1):
        chunk = table.rows[start : start + VALIDATE_CHUNK]
        results = validate.rows(chunk)
        numbers = [number for number, _ in chunk]
        accepted: list[Accepted] = []
        if not _accept_all(results, numbers, vault, first_row, accepted):
            _check_each(results, numbers, vault, id_header, first_row, accepted, report)
        yield accepted
        if progress is not None:
            progress(min(done * VALIDATE_CHUNK, len(table.rows)), len(table.rows))


def accept_rows(
    table: LedgerTable,
    posts: Iterable[str],
    vault: IdVault,
    report: ImportReport,
    today: dt.date,
    progress: Progress | None,
) -> list[Accepted]:
    """The valid rows of ``table``, keyed; the refused ones counted and explained in ``report``."""
    return [item for chunk in accept_chunks(table, posts, vault, report, today, progress) for item in chunk]
