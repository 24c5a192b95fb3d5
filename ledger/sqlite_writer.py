"""SQLite connections whose write transactions queue on a lock of this process, first come first served.

SQLite has one writer at a time. Threads that meet its write lock wait in its busy handler, which sleeps
in growing steps (up to 100 ms) and lets latecomers overtake: under load, tail latency grows by whole
sleeps. Waiting on a Python lock instead hands the write over the moment it is free. The driver begins a
transaction at the first data change, so the lock is taken there and given back at commit, rollback or
close. Other processes are still kept out by SQLite itself (and its busy timeout).

This lives in the driver's connection class rather than in SQLAlchemy events: engine events put every
statement of the engine through SQLAlchemy's event dispatch, which costs more than the statements.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def queued_writer_factory(busy_timeout: float) -> type[sqlite3.Connection]:
    """A ``sqlite3.Connection`` class sharing one write lock among all its connections (one per engine).

    A second writing connection in one thread would wait for itself: after ``busy_timeout`` seconds, as
    SQLite would, it goes on without the lock and lets SQLite decide.
    """
    lock = threading.Lock()

    class QueuedWriterConnection(sqlite3.Connection):
        _writing = False

        def cursor(self, factory: Any = None) -> Any:
            return super().cursor(factory or QueuedWriterCursor)

        def before(self, statement: str) -> None:
            if not self._writing and statement.lstrip()[:7].upper().startswith(_WRITES):
                self._writing = lock.acquire(timeout=busy_timeout)

        def after_transaction(self) -> None:
            if self._writing and not self.in_transaction:
                self._writing = False
                lock.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.after_transaction()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.after_transaction()

        def close(self) -> None:
            try:
                super().close()
            finally:
                if self._writing:
                    self._writing = False
                    lock.release()

    class QueuedWriterCursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> Any:
            QueuedWriterConnection.before(self.connection, sql)  # type: ignore[arg-type]
            return super().execute(sql, parameters)

        def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
            QueuedWriterConnection.before(self.connection, sql)  # type: ignore[arg-type]
            return super().executemany(sql, seq_of_parameters)

    return QueuedWriterConnection
