"""Statements sent to PostgreSQL together: one wait for all of them, a whole transaction in one round trip.

Each statement SQLAlchemy executes is a round trip: the thread sends it, gives up the interpreter lock,
waits for the answer and must get the lock back. On an idle machine that is tens of microseconds; on two
cores shared by the service, PostgreSQL and its clients, every wake-up waits for a core and for the lock,
about a millisecond each, and a group commit of eight statements spent most of its time so. In psycopg's
pipeline mode the statements go out at once and their answers are read once, at the end of the block.

``pipelined`` is for statements whose results are not read (no RETURNING, no rowcount): inside the block a
result is not there yet, and SQLAlchemy says so (ResourceClosedError). Beware a one-row INSERT of a table
with a generated id: SQLAlchemy reads the id back by RETURNING; many rows at once, or from a SELECT, it does
not. ``read_later`` sends a statement whose rows are read after the block (``Rows.all``). ``one_trip``
goes further: a transaction whose BEGIN, statements and COMMIT go in one pipeline, so the whole of it
costs one round trip (psycopg itself waits for the BEGIN it sends before a pipelined statement).

An error among them is raised at the end of the block, as SQLAlchemy's exception for it (a deadlock is
still an OperationalError, retried like any other), and the transaction is then rolled back as it would
be after a failed statement. SQLite runs the statements as they come, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

if TYPE_CHECKING:
    import psycopg


class Rows:
    """The rows of a statement: at hand, or (sent in a pipeline) read once the pipeline has synced."""

    def __init__(self, rows: Sequence[Any] | None = None, cursor: psycopg.Cursor[Any] | None = None) -> None:
        self._rows = rows
        self._cursor = cursor

    def all(self) -> list[tuple[Any, ...]]:
        """Every row, as tuples (read from the server's answer when it came by pipeline)."""
        if self._cursor is not None:
            self._rows, self._cursor = self._cursor.fetchall(), None
        return [tuple(row) for row in self._rows or ()]


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """Send what ``conn`` executes in the block at once (PostgreSQL), answers awaited at its end."""
    raw = _psycopg(conn)
    if raw is None or _in_pipeline(raw):  # SQLite or another driver: one at a time; or in one already
        yield
        return
    with _translated(conn, raw), raw.pipeline():
        yield


@contextmanager
def one_trip(engine: Engine) -> Iterator[Connection]:
    """A transaction whose BEGIN, statements and COMMIT reach PostgreSQL at once: one round trip in all.

    What is executed in the block is sent at its end with the COMMIT; rows asked for by ``read_later``
    are read after the block. Elsewhere (SQLite) it is a plain ``engine.begin()``.
    """
    with engine.connect() as conn:
        raw = _psycopg(conn)
        if raw is None:
            with conn.begin():
                yield conn
            return
        from psycopg.pq import TransactionStatus

        raw.autocommit = True  # so psycopg sends no BEGIN of its own (and waits for it): ours goes along
        try:
            with _translated(conn, raw), raw.pipeline():
                raw.execute("BEGIN")
                yield conn
                raw.execute("COMMIT")
        except BaseException:
            if not raw.closed and raw.info.transaction_status != TransactionStatus.IDLE:
                raw.rollback()
            raise
        finally:
            if not raw.closed:
                raw.autocommit = False
        if conn.in_transaction():  # SQLAlchemy's view of it; the server committed already
            conn.commit()


def read_later(conn: Connection, statement: Executable, params: Mapping[str, Any]) -> Rows:
    """Execute ``statement``; in a pipeline (``pipelined``, ``one_trip``) its rows are read after the block."""
    raw = _psycopg(conn)
    if raw is None or not _in_pipeline(raw):
        return Rows(conn.execute(statement, params).all())
    sql, processors = _compiled(statement, conn.dialect)
    values = _bound(statement, conn.dialect, params, processors)
    cursor = raw.cursor()
    if conn.dispatch.before_cursor_execute:  # listeners (tests, instrumentation) see it as any statement
        conn.dispatch.before_cursor_execute(conn, cursor, sql, values, None, False)
    cursor.execute(sql, values)
    return Rows(cursor=cursor)


def _bound(
    statement: Executable,
    dialect: Dialect,
    params: Mapping[str, Any],
    processors: Mapping[str, Callable[[Any], Any]],
) -> dict[str, Any]:
    values = dict(_compiled_form(statement, dialect).construct_params(dict(params)))
    for name, process in processors.items():
        if name in values:
            values[name] = process(values[name])
    return values


@functools.lru_cache(maxsize=64)
def _compiled_form(statement: Executable, dialect: Dialect) -> Any:
    return statement.compile(dialect=dialect)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=64)
def _compiled(statement: Executable, dialect: Dialect) -> tuple[str, dict[str, Callable[[Any], Any]]]:
    """The statement's SQL text for psycopg and the conversion SQLAlchemy applies to each parameter."""
    compiled = _compiled_form(statement, dialect)
    if compiled.post_compile_params:
        raise ValueError("read_later cannot send an IN list (an expanding parameter); pass an array instead")
    processors = {}
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    return compiled.string, processors


def _psycopg(conn: Connection) -> psycopg.Connection[Any] | None:
    if conn.dialect.name != "postgresql":
        return None
    import psycopg

    raw = conn.connection.driver_connection
    return raw if isinstance(raw, psycopg.Connection) else None


def _in_pipeline(raw: psycopg.Connection[Any]) -> bool:
    from psycopg.pq import PipelineStatus

    return raw.pgconn.pipeline_status != PipelineStatus.OFF


@contextmanager
def _translated(conn: Connection, raw: psycopg.Connection[Any]) -> Iterator[None]:
    """Raise psycopg's errors as SQLAlchemy's (a lost connection invalidated), as ``conn.execute`` would."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        lost = raw.closed
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            None, None, exc, psycopg.Error, connection_invalidated=lost, dialect=conn.dialect
        ) from exc
