"""Load a ledger file into the database: validate, then upsert by ID number in bulk, in one transaction."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select

from bot.kernel.personal_data import mask_id
from ledger.bulk import bulk_insert, bulk_update
from ledger.crypto import IdVault
from ledger.models import FIRST_CAMPAIGN
from ledger.reading import LedgerTable, read_ledger
from ledger.store import POSTS, TRAINEES
from ledger.validate import LedgerRow, RowError, RowValidator

log = logging.getLogger(__name__)

CHUNK = 2000
Progress = Callable[[int, int], None]
# Columns compared and written; phone and employer only when the file has them.
_FLAG_AND_HOURS = ("registered", "confirmed", "paid", "online_hours", "offline_hours", "audited")
_HOURS = ("online_hours", "offline_hours")


@dataclass(frozen=True)
class HoursDecrease:
    """Hours lower than the stored value: stored anyway, but worth a look."""

    row: int
    column: str
    before: float
    after: float

    def __str__(self) -> str:
        return f"第{self.row}行 列{self.column}: 学时由 {self.before:g} 降为 {self.after:g}（已按新值保存）"


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    dry_run: bool = False
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[HoursDecrease] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.rejected


@dataclass(frozen=True)
class _Accepted:
    row: int
    id_hash: str
    values: LedgerRow


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _validate(
    table: LedgerTable,
    posts: Iterable[str],
    vault: IdVault,
    report: ImportReport,
    progress: Progress | None,
    today: dt.date,
) -> list[_Accepted]:
    validate = RowValidator(table.positions, table.headers, posts, today)
    id_header = validate.header("id_number")
    first_row: dict[str, int] = {}
    accepted: list[_Accepted] = []
    for done, (number, cells) in enumerate(table.rows, start=1):
        result = validate(number, cells)
        if isinstance(result, list):
            report.rejected += 1
            report.errors.extend(result)
        else:
            id_hash = vault.lookup_hash(result.id_number)
            if id_hash in first_row:
                report.rejected += 1
                report.errors.append(RowError(number, id_header, f"身份证号与第{first_row[id_hash]}行重复"))
            else:
                first_row[id_hash] = number
                accepted.append(_Accepted(number, id_hash, result))
        if progress is not None and done % 5000 == 0:
            progress(done, len(table.rows))
    return accepted


def _stored(conn: Connection, hashes: Sequence[str], campaign: str) -> dict[str, dict[str, Any]]:
    """Current values of the campaign's trainees with these hashes, posts included, keyed by hash."""
    columns = [TRAINEES.c.id, TRAINEES.c.id_hash, TRAINEES.c.name, TRAINEES.c.phone, TRAINEES.c.employer]
    columns += [TRAINEES.c[name] for name in (*_FLAG_AND_HOURS, "confirmed_on")]
    keys = [c.name for c in columns]
    wanted = set(hashes)
    mine = TRAINEES.c.campaign == campaign
    total = conn.execute(select(func.count()).select_from(TRAINEES).where(mine)).scalar_one()
    # A file covering much of the table is cheaper to match in one scan than in many IN lists.
    scan = len(wanted) * 4 >= total
    batches: Iterable[Sequence[str] | None] = [None] if scan else _chunks(hashes)
    stored: dict[str, dict[str, Any]] = {}
    for batch in batches:
        query = select(*columns).where(mine)
        if batch is not None:
            query = query.where(TRAINEES.c.id_hash.in_(batch))
        by_id: dict[int, dict[str, Any]] = {}
        for row in conn.execute(query):
            if row[1] in wanted:
                by_id[row[0]] = {**dict(zip(keys, row, strict=True)), "posts": []}
        if not by_id:
            continue
        posts = select(POSTS.c.trainee_id, POSTS.c.post).order_by(POSTS.c.trainee_id, POSTS.c.position)
        if batch is not None:
            posts = posts.where(POSTS.c.trainee_id.in_(list(by_id)))
        for trainee_id, post in conn.execute(posts):
            if trainee_id in by_id:
                by_id[trainee_id]["posts"].append(post)
        for record in by_id.values():
            record["posts"] = tuple(record["posts"])
            stored[record["id_hash"]] = record
    return stored


def _new_values(row: LedgerRow, present: frozenset[str], before: dict[str, Any] | None) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(row, name) for name in ("name", "posts", *_FLAG_AND_HOURS)}
    values["confirmed_on"] = row.confirmed_on
    if before is not None and row.confirmed and row.confirmed_on is None and before["confirmed"]:
        # "是" without a date keeps the date an earlier ledger gave.
        values["confirmed_on"] = before["confirmed_on"]
    for optional in ("phone", "employer"):
        if optional in present:
            values[optional] = getattr(row, optional)
        elif before is not None:
            values[optional] = before[optional]
        else:
            values[optional] = None if optional == "phone" else ""
    return values


def _plan(
    accepted: list[_Accepted], stored: dict[str, dict[str, Any]], table: LedgerTable, report: ImportReport
) -> tuple[list[tuple[_Accepted, dict[str, Any]]], list[tuple[int, dict[str, Any], bool]]]:
    """Split rows into inserts and updates (with whether posts changed); count unchanged; flag hours down."""
    present = frozenset(table.positions)
    inserts: list[tuple[_Accepted, dict[str, Any]]] = []
    updates: list[tuple[int, dict[str, Any], bool]] = []
    for item in accepted:
        before = stored.get(item.id_hash)
        values = _new_values(item.values, present, before)
        if before is None:
            inserts.append((item, values))
            continue
        for hours in _HOURS:
            if values[hours] < before[hours]:
                header = table.headers[table.positions[hours]]
                report.warnings.append(HoursDecrease(item.row, header, before[hours], values[hours]))
        if all(values[name] == before[name] for name in values):
            report.unchanged += 1
        else:
            updates.append((before["id"], values, values["posts"] != before["posts"]))
    report.inserted = len(inserts)
    report.updated = len(updates)
    return inserts, updates


def _new_ids(conn: Connection, after_id: int, hashes: Sequence[str], campaign: str) -> dict[str, int]:
    """Ids given to the rows just inserted: every id above the old maximum, matched by hash."""
    wanted = set(hashes)
    rows = conn.execute(
        select(TRAINEES.c.id_hash, TRAINEES.c.id).where(
            TRAINEES.c.id > after_id, TRAINEES.c.campaign == campaign
        )
    )
    return {id_hash: trainee_id for id_hash, trainee_id in rows if id_hash in wanted}


def _write_posts(conn: Connection, posts: list[tuple[int, tuple[str, ...]]]) -> None:
    rows = [{"trainee_id": tid, "post": p, "position": i} for tid, ps in posts for i, p in enumerate(ps)]
    bulk_insert(conn, POSTS, rows)


def _write(
    conn: Connection,
    vault: IdVault,
    inserts: list[tuple[_Accepted, dict[str, Any]]],
    updates: list[tuple[int, dict[str, Any], bool]],
    now: dt.datetime,
    campaign: str,
) -> None:
    new_posts: list[tuple[int, tuple[str, ...]]] = []
    if inserts:
        last_id = conn.execute(select(func.coalesce(func.max(TRAINEES.c.id), 0))).scalar_one()
        bulk_insert(
            conn,
            TRAINEES,
            [
                {
                    **{k: v for k, v in values.items() if k != "posts"},
                    "campaign": campaign,
                    "id_hash": item.id_hash,
                    "id_cipher": vault.encrypt(item.values.id_number),
                    "id_masked": mask_id(item.values.id_number),
                    "opted_out": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for item, values in inserts
            ],
        )
        ids = _new_ids(conn, last_id, [item.id_hash for item, _ in inserts], campaign)
        new_posts.extend((ids[item.id_hash], values["posts"]) for item, values in inserts)
    if updates:
        bulk_update(
            conn,
            TRAINEES,
            "id",
            [
                {**{k: v for k, v in values.items() if k != "posts"}, "updated_at": now, "id": tid}
                for tid, values, _ in updates
            ],
        )
        changed = [(tid, values["posts"]) for tid, values, posts_changed in updates if posts_changed]
        for chunk in _chunks(changed):
            conn.execute(delete(POSTS).where(POSTS.c.trainee_id.in_([tid for tid, _ in chunk])))
        new_posts.extend(changed)
    _write_posts(conn, new_posts)


def import_ledger(
    engine: Engine,
    vault: IdVault,
    path: Path | str,
    posts: Iterable[str],
    now: dt.datetime,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    campaign: str = FIRST_CAMPAIGN,
) -> ImportReport:
    """Import a CSV/XLSX ledger into ``campaign``'s records (other years' records are left as they are);
    raise LedgerFileError (and change nothing) when the file is unusable."""
    table = read_ledger(path)
    report = ImportReport(dry_run=dry_run)
    accepted = _validate(table, posts, vault, report, progress, now.date())
    with engine.begin() as conn:
        stored = _stored(conn, [item.id_hash for item in accepted], campaign)
        inserts, updates = _plan(accepted, stored, table, report)
        if not dry_run:
            _write(conn, vault, inserts, updates, now, campaign)
    if progress is not None:
        progress(len(table.rows), len(table.rows))
    log.info(
        "ledger import%s: %d inserted, %d updated, %d unchanged, %d rejected",
        " (dry run)" if dry_run else "",
        report.inserted,
        report.updated,
        report.unchanged,
        report.rejected,
    )
    return report
