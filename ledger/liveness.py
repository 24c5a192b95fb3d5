"""Whether the server has ended an idle PostgreSQL session, told without a round trip.

An idle psycopg connection has nothing to read unless the server ended it (a restart, a terminated
backend, an idle timeout): its notice and the end of stream make the socket readable, which one ``poll``
with no timeout sees. A ``SELECT 1`` tells the same at the price of a round trip and, in `jxjy serve`, of a
wait for the interpreter lock after it (several ms under load).
"""

from __future__ import annotations

import select
from typing import Any

_PG_CONNECTION_OK = 0  # libpq's CONNECTION_OK (psycopg.pq.ConnStatus.OK)


def hung_up(dbapi_connection: Any) -> bool | None:
    """True when the server ended this idle psycopg connection, False when not; None for other drivers."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return None
    if dbapi_connection.closed or pgconn.status != _PG_CONNECTION_OK:
        return True
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
