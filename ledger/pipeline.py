"""Statements whose answers nobody reads, sent to PostgreSQL together: one wait for all of them.

Each statement SQLAlchemy executes is a round trip: the thread sends it, gives up the interpreter lock,
waits for the answer and must get the lock back. On an idle machine that is tens of microseconds; on two
cores shared by the service, PostgreSQL and its clients, every wake-up waits for a core and for the lock,
about a millisecond each, and a group commit of eight statements spent most of its time so. In psycopg's
pipeline mode the statements go out at once and their answers are read once, at the end of the block.

Only for statements whose results are not read (no RETURNING, no rowcount): inside the block a result is
not there yet, and SQLAlchemy says so (ResourceClosedError). Beware a one-row INSERT of a table with a
generated id: SQLAlchemy reads the id back by RETURNING; many rows at once, or from a SELECT, it does not. An error among them is raised at the end of the block, as SQLAlchemy's exception for it
(a deadlock is still an OperationalError, retried like any other), and the transaction is then aborted
as it would be after a failed statement. SQLite runs the statements as they come, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """Send what ``conn`` executes in the block at once (PostgreSQL), answers awaited at its end."""
    if conn.dialect.name != "postgresql":
        yield
        return
    import psycopg

    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):  # another driver: one statement at a time
        yield
        return
    try:
        with raw.pipeline():
            yield
    except psycopg.Error as exc:
        lost = raw.closed
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            None, None, exc, psycopg.Error, connection_invalidated=lost, dialect=conn.dialect
        ) from exc
