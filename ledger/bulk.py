"""Bulk INSERT and UPDATE: types converted once per column, not per call; the rows go through the driver's
executemany, or on PostgreSQL with psycopg through COPY (one stream instead of a statement per row)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table

BATCH = 10_000


def _processors(conn: Connection, table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    # dialect_impl: the type as this dialect stores it (e.g. SQLite keeps dates as ISO text).
    dialect = conn.dialect
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]


def _placeholder(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    raise RuntimeError(f"driver paramstyle {style!r} is not supported for bulk writes")


def _convert(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Convert the values of the columns whose type needs it; column by column, each distinct value once.

    Flags, dates and timestamps repeat a lot, so a column of 100,000 values has a handful of distinct ones.
    """
    converting = [(i, p) for i, p in enumerate(_processors(conn, table, columns)) if p is not None]
    if not converting or not rows:
        return rows
    by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, process in converting:
        values = by_column[index]
        try:
            distinct = {v: None if v is None else process(v) for v in set(values)}
        except TypeError:  # an unhashable value: convert each one
            by_column[index] = [None if v is None else process(v) for v in values]
            continue
        by_column[index] = [distinct[v] for v in values]
    return list(zip(*by_column, strict=True))


def _tuples(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    pick = operator.itemgetter(*columns)
    picked = [pick(row) if len(columns) > 1 else (pick(row),) for row in rows]
    return _convert(conn, table, columns, picked)


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


def _copy(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Stream ``rows`` through ``COPY ... FROM STDIN``, in the connection's transaction."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def bulk_insert_tuples(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples of the ``columns``, in order) into ``table``: COPY on PostgreSQL (psycopg),
    otherwise one executemany per batch."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        names = ", ".join(quote(c) for c in columns)
        _copy(conn, f"COPY {quote(table.name)} ({names}) FROM STDIN", _convert(conn, table, columns, rows))
        return
    mark = _placeholder(conn)
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(mark for _ in columns)})"
    )
    _run(conn, sql, _convert(conn, table, columns, rows))


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


@contextmanager
def roomy_cache(conn: Connection, kib: int = 65_536) -> Iterator[None]:
    """On SQLite, give this connection a page cache of ``kib`` KiB meanwhile: a bulk write touches pages all
    over the indexes (an ID number's hash goes anywhere), which SQLite's default 2 MiB would reread from the
    file in every batch. Elsewhere nothing."""
    raw = conn.connection.dbapi_connection  # a PRAGMA outside SQLAlchemy's transaction
    if conn.dialect.name != "sqlite" or raw is None:
        yield
        return
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={int(before)}")
