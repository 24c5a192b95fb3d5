"""Load a ledger file into the database: validate every row, plan against what is stored, write in batches.

The file is read whole first (a file that cannot be used changes nothing); the writes go in short
transactions of ``BATCH`` trainees, so the bot and the scheduler keep writing meanwhile. A first import (the
campaign holds nobody yet) on PostgreSQL writes on a thread of its own while the next rows are validated;
any other import is validated and planned whole, then written. Rows are matched by ID number (its keyed hash), or, when the file
shows it masked (an export without --full-ids), by the masked form and the name.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select

from ledger.accepting import Accepted, Progress, accept_chunks
from ledger.bulk import bulk_update, deferred_indexes, index_keep, roomy_cache
from ledger.crypto import IdVault
from ledger.import_report import HoursDecrease, ImportReport
from ledger.inserting import NewRows, insert_new, new_rows, write_posts
from ledger.merge import STORED, Merged
from ledger.models import FIRST_CAMPAIGN
from ledger.planning import Plan, Planner
from ledger.reading import LedgerTable, ReadAhead, read_ledger
from ledger.store import POSTS, TRAINEES
from ledger.write_behind import WriteBehind

__all__ = ["BATCH", "HoursDecrease", "ImportReport", "import_ledger"]

log = logging.getLogger(__name__)

# Trainees written per transaction: about a tenth of a second of writing on SQLite.
BATCH = 5000


def _chunks(items: Sequence[Any], size: int | None = None) -> Iterator[Sequence[Any]]:
    size = size or BATCH
    for start in range(0, len(items), size):
        yield items[start : start + size]


_COLUMNS = ("id", "id_hash", "id_masked", *STORED)


def _stored(conn: Connection, campaign: str, where: Any = None) -> list[dict[str, Any]]:
    """The campaign's stored trainees (all, or those ``where`` selects), posts included."""
    query = select(*(TRAINEES.c[name] for name in _COLUMNS)).where(TRAINEES.c.campaign == campaign)
    if where is not None:
        query = query.where(where)
    by_id = {
        row[0]: {**dict(zip(_COLUMNS, row, strict=True)), "posts": []} for row in conn.execute(query).all()
    }
    if not by_id:
        return []
    posts = select(POSTS.c.trainee_id, POSTS.c.post).order_by(POSTS.c.trainee_id, POSTS.c.position)
    if where is not None or len(by_id) < 5000:
        posts = posts.where(POSTS.c.trainee_id.in_(list(by_id)))
    for trainee_id, post in conn.execute(posts).all():
        if trainee_id in by_id:
            by_id[trainee_id]["posts"].append(post)
    for record in by_id.values():
        record["posts"] = tuple(record["posts"])
    return list(by_id.values())


def _count(conn: Connection, campaign: str) -> int:
    """How many trainees the campaign holds."""
    mine = TRAINEES.c.campaign == campaign
    return int(conn.execute(select(func.count()).select_from(TRAINEES).where(mine)).scalar_one())


def _load(
    conn: Connection, accepted: list[Accepted], campaign: str, total: int
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The campaign's stored trainees (``total`` of them) the file refers to, by key; and all of them when
    new rows need them."""
    hashes = [a.key for a in accepted if not a.values.id_is_masked]
    masked = any(a.values.id_is_masked for a in accepted)
    # A file covering much of the table is cheaper to match in one scan than in many IN lists.
    if masked or len(hashes) * 4 >= total:
        everyone = _stored(conn, campaign)
        by_key = {r["id_hash"]: r for r in everyone}
    else:
        everyone = []
        by_key = {}
        for chunk in _chunks(hashes):
            by_key.update((r["id_hash"], r) for r in _stored(conn, campaign, TRAINEES.c.id_hash.in_(chunk)))
    new_phones = [a for a in accepted if a.key not in by_key and a.values.phone and not a.values.id_is_masked]
    if new_phones and not everyone:
        phones = sorted({a.values.phone for a in new_phones if a.values.phone})
        for chunk in _chunks(phones):
            everyone.extend(_stored(conn, campaign, TRAINEES.c.phone.in_(chunk)))
    if masked:
        for record in everyone:
            by_key.setdefault(f"masked:{record['id_masked']}:{record['name']}", record)
    return by_key, everyone


def _update(conn: Connection, batch: Sequence[tuple[int, Merged, bool]], now: dt.datetime) -> None:
    rows = [{**merged.values, "updated_at": now, "id": tid} for tid, merged, _ in batch]
    bulk_update(conn, TRAINEES, "id", rows)
    moved = [(tid, merged.posts) for tid, merged, posts_changed in batch if posts_changed]
    if moved:
        conn.execute(delete(POSTS).where(POSTS.c.trainee_id.in_([tid for tid, _ in moved])))
        write_posts(conn, moved)


@contextmanager
def _writing(engine: Engine, inserts: int) -> Iterator[Connection]:
    """A connection to write an import with; ``inserts`` (about how many rows are inserted in all) decides
    whether the indexes are set aside meanwhile."""
    with (
        engine.connect() as conn,
        roomy_cache(conn),
        deferred_indexes(conn, TRAINEES, inserts, index_keep(engine), [POSTS]),
    ):
        yield conn


def _write(conn: Connection, vault: IdVault, plan: Plan, now: dt.datetime, campaign: str) -> None:
    """Write ``plan``, one short transaction per BATCH trainees."""
    for batch in _chunks(plan.inserts):
        new = new_rows(conn.dialect, vault, batch, now, campaign)
        with conn.begin():
            insert_new(conn, new)
    for updates in _chunks(plan.updates):
        with conn.begin():
            _update(conn, updates, now)


@contextmanager
def _inserting(engine: Engine, rows: int) -> Iterator[Callable[[NewRows], None]]:
    """Insert what it is given, one transaction each (the write-behind thread's writer)."""
    with _writing(engine, rows) as conn:

        def insert(new: NewRows) -> None:
            with conn.begin():
                insert_new(conn, new)

        yield insert


def _writes_behind(engine: Engine) -> bool:
    """Whether a first import writes while it validates: on PostgreSQL, whose server works in a process of
    its own while the driver waits without the interpreter's lock. SQLite writes in this process, taking
    and giving back that lock row by row: beside the validation it would only wait for it (measured: a
    first import of 100,000 rows twice as slow)."""
    return engine.dialect.name == "postgresql"


def _write_as_validated(
    engine: Engine,
    vault: IdVault,
    chunks: Iterator[list[Accepted]],
    planner: Planner,
    now: dt.datetime,
    campaign: str,
    rows: int,
) -> None:
    """A first import (nothing stored to match): plan each validated chunk, make its inserts ready, and
    write them in BATCHes on a thread of their own while the next ones are made ready and the next chunk is
    validated. The file has been read whole before."""
    writer: WriteBehind[NewRows] = WriteBehind(lambda: _inserting(engine, rows))
    dialect = engine.dialect
    try:
        pending: list[Accepted] = []
        for accepted in chunks:
            pending.extend(planner.plan(accepted).inserts)
            while len(pending) >= BATCH:
                writer.put(new_rows(dialect, vault, pending[:BATCH], now, campaign))
                del pending[:BATCH]
        if pending:
            writer.put(new_rows(dialect, vault, pending, now, campaign))
    finally:
        writer.close()


def _file_notes(table: LedgerTable) -> list[str]:
    notes = list(table.notes)
    if table.header_row > 1:
        notes.append(f"表头在第{table.header_row}行，上面的{table.header_row - 1}行（标题等）未读取")
    if table.ignored:
        notes.append(f"未读取的列：{'、'.join(table.ignored)}")
    if "phone" not in table.positions:
        notes.append("文件没有手机号列：新学员收不到短信提醒（已存的手机号保持不变）")
    if table.totals_rows:
        rows = "、".join(str(n) for n in table.totals_rows)
        notes.append(f"第{rows}行是合计或签名行，已跳过")
    return notes


# How soon a thread that waited for the database (or the workbook's parser) gets the interpreter's lock back
# from a busy one. The write-behind thread gives the lock up for every 32 KiB of COPY data and each reply;
# at Python's default (5 ms) it would mostly wait for the lock, not for the server. Measured: 100,000 rows
# COPYed beside a busy thread took 1.0-1.9 s at 5 ms, 0.5-0.9 s at 1 ms, 0.4-0.7 s at 0.2 ms.
SWITCH_INTERVAL = 0.0005


@contextmanager
def _bulk_work() -> Iterator[None]:
    """The process set for an import meanwhile: the cyclic collector off, threads switched promptly."""
    # A ledger is hundreds of thousands of small objects and none of them in a cycle: the cyclic collector
    # would only walk them again and again (a quarter of the import's time at 100,000 rows).
    collecting, interval = gc.isenabled(), sys.getswitchinterval()
    gc.disable()
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        if collecting:
            gc.enable()


def import_ledger(
    engine: Engine,
    vault: IdVault,
    path: Path | str | ReadAhead,
    posts: Iterable[str],
    now: dt.datetime,
    *,
    dry_run: bool = False,
    accept_decreases: bool = False,
    allow_duplicates: bool = False,
    progress: Progress | None = None,
    campaign: str = FIRST_CAMPAIGN,
) -> ImportReport:
    """Import a CSV/XLSX/XLS ledger into ``campaign``'s records (other years' records are left as they are);
    raise LedgerFileError (and change nothing) when the file is unusable. ``path`` may be a file already being
    read (ReadAhead)."""
    with _bulk_work():
        return _import(
            engine,
            vault,
            path if isinstance(path, ReadAhead) else Path(path),
            posts,
            now,
            dry_run=dry_run,
            accept_decreases=accept_decreases,
            allow_duplicates=allow_duplicates,
            progress=progress,
            campaign=campaign,
        )


def _import(
    engine: Engine,
    vault: IdVault,
    path: Path | ReadAhead,
    posts: Iterable[str],
    now: dt.datetime,
    *,
    dry_run: bool,
    accept_decreases: bool,
    allow_duplicates: bool,
    progress: Progress | None,
    campaign: str,
) -> ImportReport:
    table = path.table() if isinstance(path, ReadAhead) else read_ledger(path)
    report = ImportReport(dry_run=dry_run, file_notes=_file_notes(table), blank_rows=table.blank_rows)
    # ``now`` is in the campaign's time zone (the runtime's clock): its date is today there.
    chunks = accept_chunks(table, posts, vault, report, now.date(), progress)
    with engine.connect() as conn:
        total = _count(conn, campaign)
    options = {"accept_decreases": accept_decreases, "allow_duplicates": allow_duplicates}
    if total == 0 and not dry_run and _writes_behind(engine):
        planner = Planner({}, [], table, report, **options)
        _write_as_validated(engine, vault, chunks, planner, now, campaign, len(table.rows))
    else:
        accepted = [item for chunk in chunks for item in chunk]
        by_key: dict[str, dict[str, Any]] = {}
        everyone: list[dict[str, Any]] = []
        if total:
            with engine.connect() as conn:
                by_key, everyone = _load(conn, accepted, campaign, total)
        plan = Planner(by_key, everyone, table, report, **options).plan(accepted)
        if not dry_run:
            with _writing(engine, len(plan.inserts)) as conn:
                _write(conn, vault, plan, now, campaign)
    if progress is not None:
        progress(len(table.rows), len(table.rows))
    log.info(
        "ledger import%s: %d inserted, %d updated, %d unchanged, %d rejected, %d suspected duplicates",
        " (dry run)" if dry_run else "",
        report.inserted,
        report.updated,
        report.unchanged,
        report.rejected,
        len(report.duplicates),
    )
    return report
