"""A large bulk write on PostgreSQL sets a table's secondary indexes aside and builds each once at its end;
the foreign keys that point into the table from the tables written with it are checked once, at the end.

Keeping a trigram (GIN) index and a wide B-tree up to date row by row costs the server more than the rows
themselves, and a foreign key checks each new row by a lookup of its own; building an index from the
finished table, or checking a foreign key by one join, costs a fraction of that. (Nothing deletes trainees
meanwhile: rows of the ledger are never deleted, so no cascade is missed.) Every step is one transaction:
an index or a key is dropped in the transaction that records its definition in ``deferred_indexes``, and
made again in the one that deletes the record. An import killed half way leaves records, and the
next import (or ``open_database``) builds those indexes.

One writer at a time sets indexes aside: it holds a session advisory lock (``indexes``) on its write
connection until they are back, which the server drops with the session if the process dies. Restoring
takes the same lock, so an instance starting meanwhile does not build indexes under a running import.
Dropping waits at most ``LOCK_WAIT`` for readers of the table (``serve`` instances keep answering; when
the lock is not had in time, the write goes on with its indexes). Building blocks writes to the table
(not reads) for as long as it takes: about half a second per index at 100,000 trainees, two indexes at a
time on two connections.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table

from ledger.locks import KEYS, NAMESPACE

log = logging.getLogger(__name__)

LOCK_WAIT = "2s"
# For the builds only: a GIN index built in more memory flushes fewer runs.
BUILD_MEMORY = "256MB"
# Connections building at once: one index per server core (the machines here have two).
BUILD_CONNECTIONS = 2
# What is set aside, as (name, the statement that drops it, the one that makes it again).
_SECONDARY = """
SELECT c.relname, format('DROP INDEX %%I', c.relname), pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = CAST(%s AS regclass) AND NOT i.indisunique AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname
"""
_FOREIGN_KEYS = """
SELECT conname, format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname),
       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname, pg_get_constraintdef(oid))
FROM pg_constraint
WHERE contype = 'f' AND conrelid = CAST(%s AS regclass) AND confrelid = CAST(%s AS regclass)
ORDER BY conname
"""


def _lock(raw: Any) -> bool:
    """Take the ``indexes`` advisory lock on this session if it is free."""
    cursor = raw.execute("SELECT pg_try_advisory_lock(%s, %s)", (NAMESPACE, KEYS["indexes"]))
    held = bool(cursor.fetchone()[0])
    raw.commit()
    return held


def _unlock(raw: Any) -> None:
    raw.execute("SELECT pg_advisory_unlock(%s, %s)", (NAMESPACE, KEYS["indexes"]))
    raw.commit()


_COLUMNS = re.compile(r" USING (\w+) \(([^)]*)\)", re.I)


def _order(record: tuple[str, str]) -> tuple[int, int, str]:
    """The builds that take longest first, so that two connections end together: the widest index first (a
    B-tree's sort compares its columns one after another; a trigram index makes an entry for every three
    characters of a column: counted as three). Foreign keys last, as their check waits for the builds on the
    two tables anyway. (Measured at 100,000 trainees: the nine-column progress index 0.8 s, the trigram
    index 0.5 s, every other one 0.2 s or less.)"""
    name, definition = record
    if definition.upper().startswith("ALTER TABLE"):
        return 1, 0, name
    found = _COLUMNS.search(definition)
    if found is None:
        return 0, 0, name
    width = len(found.group(2).split(",")) * (3 if found.group(1).lower() == "gin" else 1)
    return 0, -width, name


def _build_one(raw: Any, name: str, definition: str) -> None:
    started = time.perf_counter()
    raw.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
    raw.execute(re.sub(r"^CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", definition, flags=re.I))
    raw.execute("DELETE FROM deferred_indexes WHERE name = %s", (name,))
    raw.commit()
    log.info("index %s built again in %.2f s", name, time.perf_counter() - started)


def _build(raw: Any, engine: Engine, table: str | None = None) -> None:
    """Build every recorded index (of ``table``, or of all tables), each with its record gone in its
    transaction; the ``indexes`` lock is held by the caller on ``raw``.

    The builds share BUILD_CONNECTIONS connections (``raw`` and more from ``engine``): the server builds
    one index per connection, so two indexes take about as long as the longer one."""
    query = "SELECT name, definition FROM deferred_indexes"
    params: tuple[str, ...] = ()
    if table is not None:
        query, params = f"{query} WHERE table_name = %s", (table,)
    recorded = sorted(raw.execute(query, params).fetchall(), key=_order)
    raw.commit()
    pending, taking = iter(recorded), threading.Lock()

    def work(connection: Any) -> None:
        while True:
            with taking:
                record = next(pending, None)
            if record is None:
                return
            _build_one(connection, *record)

    with ExitStack() as stack, ThreadPoolExecutor(BUILD_CONNECTIONS, "index-build") as pool:
        helpers = [
            stack.enter_context(engine.connect()).connection.driver_connection
            for _ in range(min(BUILD_CONNECTIONS, len(recorded)) - 1)
        ]
        running = [pool.submit(work, helper) for helper in helpers]
        try:
            work(raw)
        finally:
            for future in running:
                future.result()  # every helper done (or failed) before its connection goes back


def restore_deferred(engine: Engine) -> None:
    """Build the indexes an import killed half way left aside; nothing while an import holds them."""
    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        found = raw.execute("SELECT count(*) FROM deferred_indexes").fetchone()[0]
        raw.commit()
        if not found or not _lock(raw):
            return
        try:
            _build(raw, engine)
        finally:
            _unlock(raw)


def _set_aside(raw: Any, table: str, written_with: Sequence[str]) -> bool:
    """Record and drop ``table``'s secondary indexes, and those of the tables ``written_with`` it, and their
    foreign keys into ``table``, in one transaction; False when readers held the tables past LOCK_WAIT."""
    from psycopg.errors import LockNotAvailable

    try:
        raw.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
        found = raw.execute(_SECONDARY, (table,)).fetchall()
        for other in written_with:
            found += raw.execute(_SECONDARY, (other,)).fetchall()
            found += raw.execute(_FOREIGN_KEYS, (other, table)).fetchall()
        now = dt.datetime.now(dt.UTC)
        for name, drop, definition in found:
            raw.execute(
                "INSERT INTO deferred_indexes (name, table_name, definition, set_aside_at) "
                "VALUES (%s, %s, %s, %s)",
                (name, table, definition, now),
            )
            raw.execute(drop)
        raw.commit()
    except LockNotAvailable:  # readers kept the table past LOCK_WAIT
        raw.rollback()
        log.info("indexes of %s kept: the table was busy", table)
        return False
    return bool(found)


@contextmanager
def postgres_deferred_indexes(
    conn: Connection, table: Table, written_with: Sequence[Table] = ()
) -> Iterator[None]:
    """Set ``table``'s secondary indexes aside for the block, with those of the tables ``written_with`` it
    and their foreign keys into ``table``, and make them again at its end (see the module)."""
    raw: Any = conn.connection.driver_connection
    if not _lock(raw):  # another bulk write has them aside: it builds them
        yield
        return
    try:
        _build(raw, conn.engine, table.name)  # what a killed import left
        set_aside = _set_aside(raw, table.name, [other.name for other in written_with])
        try:
            yield
        finally:
            if set_aside:
                raw.rollback()  # a failed batch's transaction, if any
                _build(raw, conn.engine, table.name)
    finally:
        _unlock(raw)
