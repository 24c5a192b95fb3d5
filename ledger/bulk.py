"""Bulk INSERT and UPDATE: types converted once per column, not per call; the rows go through the driver's
executemany, or on PostgreSQL with psycopg through COPY (one stream instead of a statement per row)."""

from __future__ import annotations

import operator
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Dialect, Table

BATCH = 10_000


def _processors(dialect: Dialect, table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    # dialect_impl: the type as this dialect stores it (e.g. SQLite keeps dates as ISO text).
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]


def _placeholder(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    raise RuntimeError(f"driver paramstyle {style!r} is not supported for bulk writes")


def converted(
    dialect: Dialect, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """``rows`` with the values of the columns whose type needs it converted for ``dialect``'s driver; column
    by column, each distinct value once (``bulk_insert_tuples`` does it unless told it is done).

    Flags, dates and timestamps repeat a lot, so a column of 100,000 values has a handful of distinct ones.
    """
    if not rows or all(p is None for p in _processors(dialect, table, columns)):
        return rows
    return list(zip(*converted_columns(dialect, table, columns, list(zip(*rows, strict=True))), strict=True))


def converted_columns(
    dialect: Dialect, table: Table, columns: Sequence[str], values: list[Sequence[Any]]
) -> list[Sequence[Any]]:
    """``converted`` for values given column by column (``values[i]`` holds the values of ``columns[i]``)."""
    converted = list(values)
    for index, process in enumerate(_processors(dialect, table, columns)):
        if process is None:
            continue
        column = values[index]
        try:
            distinct = {v: None if v is None else process(v) for v in set(column)}
        except TypeError:  # an unhashable value: convert each one
            converted[index] = [None if v is None else process(v) for v in column]
            continue
        converted[index] = list(map(distinct.__getitem__, column))
    return converted


def _tuples(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    pick = operator.itemgetter(*columns)
    picked = [pick(row) if len(columns) > 1 else (pick(row),) for row in rows]
    return converted(conn.dialect, table, columns, picked)


def _run(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    for start in range(0, len(params), BATCH):
        conn.exec_driver_sql(sql, params[start : start + BATCH])


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in one executemany per batch."""
    if rows:
        columns = list(rows[0])
        pick = operator.itemgetter(*columns)
        bulk_insert_tuples(
            conn, table, columns, [pick(row) if len(columns) > 1 else (pick(row),) for row in rows]
        )


def _copy(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Stream ``rows`` through ``COPY ... FROM STDIN`` in the binary format, in the connection's transaction.

    Binary rows cost the client a tenth and the server half of what text rows do (no quoting, no parsing of
    numbers and timestamps); they need each column's type, read from the catalogue."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    quote = conn.dialect.identifier_preparer.quote
    try:
        found = dict(
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                "AND NOT attisdropped",
                (quote(table),),
            ).fetchall()
        )
        names = ", ".join(quote(c) for c in columns)
        with cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([found[c] for c in columns])
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def bulk_insert_tuples(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    ready: bool = False,
) -> None:
    """Insert ``rows`` (tuples of the ``columns``, in order) into ``table``: COPY on PostgreSQL (psycopg),
    otherwise one executemany per batch. ``ready``: the rows are ``converted`` already."""
    if not rows:
        return
    if not ready:
        rows = converted(conn.dialect, table, columns, rows)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy(conn, table.name, columns, rows)
        return
    quote = conn.dialect.identifier_preparer.quote
    mark = _placeholder(conn)
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    one = f"({', '.join(mark for _ in columns)})"
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and raw is not None:
        _sqlite_statements(conn, raw, head, one, len(columns), rows)
        return
    _run(conn, head + one, rows)


# Rows per INSERT statement on SQLite, within its limit on a statement's parameters.
SQLITE_ROWS = 1000


def _sqlite_statements(
    conn: Connection, raw: Any, head: str, one: str, width: int, rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` many per statement. The driver gives the interpreter's lock up while SQLite works
    once per statement instead of once per row, so a thread writing beside a busy one is not held up at
    every row (and SQLite parses one statement for a thousand rows)."""
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(SQLITE_ROWS, limit // width))
    full = head + ", ".join([one] * per)
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        sql = full if len(chunk) == per else head + ", ".join([one] * len(chunk))
        conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))


def bulk_update(conn: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Update ``rows`` of ``table``, each found by its ``key`` column; all rows set the same columns."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    quote = conn.dialect.identifier_preparer.quote
    mark = _placeholder(conn)
    sql = (
        f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = {mark}' for c in columns)} "
        f"WHERE {quote(key)} = {mark}"
    )
    _run(conn, sql, _tuples(conn, table, [*columns, key], rows))


# A first import at least this large rebuilds a table's secondary indexes once, at the end, instead of keeping
# them up to date row by row: sorting 100,000 entries once costs a fraction of 100,000 inserts into them.
DEFER_INDEXES_AT = 20_000


def _secondary_indexes(raw: Any, table: str) -> list[tuple[str, str]]:
    rows = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,),
    ).fetchall()
    return [(name, sql) for name, sql in rows if not sql.upper().startswith("CREATE UNIQUE")]


def restore_indexes(raw: Any, keep: Path) -> None:
    """Create again the indexes a bulk write dropped (their statements in ``keep``), e.g. after a crash."""
    if not keep.exists():
        return
    for statement in filter(None, keep.read_text(encoding="utf-8").split(";\n")):
        raw.execute(re.sub(r"^CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", statement, flags=re.IGNORECASE))
    raw.commit()
    keep.unlink()


def index_keep(engine: Any) -> Path | None:
    """Where a SQLite database file's dropped index statements are kept during a bulk write (beside it)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.deferred-indexes.sql")


def _worth_deferring(conn: Connection, table: Table, rows: int) -> bool:
    """At least DEFER_INDEXES_AT new rows, and at least as many as the table holds: building an index costs
    the whole table, so a large write into a far larger table keeps its indexes."""
    if rows < DEFER_INDEXES_AT:
        return False
    quote = conn.dialect.identifier_preparer.quote
    held = conn.exec_driver_sql(f"SELECT count(*) FROM {quote(table.name)}").scalar_one()
    conn.commit()
    return bool(rows >= held)


@contextmanager
def deferred_indexes(
    conn: Connection, table: Table, rows: int, keep: Path | None, written_with: Sequence[Table] = ()
) -> Iterator[None]:
    """For a write of at least DEFER_INDEXES_AT new rows (see ``_worth_deferring``): drop the secondary
    (non-unique) indexes of ``table`` and of the tables ``written_with`` it meanwhile, and build them once
    at the end.

    On SQLite their statements are written to ``keep`` first, so an import killed half way leaves them to
    ``restore_indexes`` (the next import or start); on PostgreSQL see ledger.pg_indexes (which also checks
    the foreign keys into ``table`` once, at the end)."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        if not _worth_deferring(conn, table, rows):
            yield
            return
        from ledger.pg_indexes import postgres_deferred_indexes

        with postgres_deferred_indexes(conn, table, written_with):
            yield
        return
    raw = conn.connection.dbapi_connection
    if (
        conn.dialect.name != "sqlite"
        or raw is None
        or keep is None
        or not _worth_deferring(conn, table, rows)
    ):
        yield
        return
    restore_indexes(raw, keep)
    indexes = [found for t in (table, *written_with) for found in _secondary_indexes(raw, t.name)]
    keep.write_text("".join(f"{sql};\n" for _, sql in indexes), encoding="utf-8")
    for name, _ in indexes:
        raw.execute(f'DROP INDEX IF EXISTS "{name}"')
    raw.commit()
    try:
        yield
    finally:
        restore_indexes(raw, keep)


@contextmanager
def roomy_cache(conn: Connection, kib: int = 65_536, wal_pages: int = 16_384) -> Iterator[None]:
    """On SQLite, give this connection a page cache of ``kib`` KiB meanwhile, and let its write-ahead log
    grow to ``wal_pages`` pages before it is copied into the database file. Elsewhere nothing.

    A bulk write touches pages all over the indexes (an ID number's hash goes anywhere): SQLite's default
    2 MiB cache would reread them from the file in every batch, and its default checkpoint (every 1,000
    pages, each with two fsyncs) would copy the same index pages into the file after every batch."""
    raw = conn.connection.dbapi_connection  # a PRAGMA outside SQLAlchemy's transaction
    if conn.dialect.name != "sqlite" or raw is None:
        yield
        return
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    checkpoint_before = raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{int(kib)}")
    raw.execute(f"PRAGMA wal_autocheckpoint={int(wal_pages)}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={int(before)}")
        raw.execute(f"PRAGMA wal_autocheckpoint={int(checkpoint_before)}")
        # What the log holds goes into the file now, not at some reader's next commit.
        raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
