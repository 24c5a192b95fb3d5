"""Writes on a thread of their own, so the database works on one batch while the caller prepares the next.

The database driver waits for the server with the interpreter's lock released (psycopg for PostgreSQL's
COPY and commits, sqlite3 while SQLite writes), so on a machine with two cores the server's work (or
SQLite's) and the validation of the next rows go on at the same time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

Batch = TypeVar("Batch")
# What the thread writes with, opened (and closed) on the thread: e.g. a connection and its transactions.
Opener = Callable[[], AbstractContextManager[Callable[[Batch], None]]]

_DONE = object()


class WriteBehind(Generic[Batch]):
    """Write the batches ``put`` in order on a thread started by the first one; ``close`` waits for the last
    and raises what the writing raised. At most ``depth`` batches wait, so the caller never runs far ahead.

    The thread opens the writer with ``opener`` when the first batch comes (a run that puts nothing opens
    nothing) and closes it when ``close`` is called, also after a failure: what it set up is undone there."""

    def __init__(self, opener: Opener[Batch], depth: int = 2) -> None:
        self._opener = opener
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def put(self, batch: Batch) -> None:
        """Queue ``batch``; raise at once what an earlier batch's writing raised."""
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ledger-write", daemon=True)
            self._thread.start()
        self._queue.put(batch)

    def close(self) -> None:
        """Wait until every batch is written and the writer closed; raise what the writing raised."""
        if self._thread is not None:
            self._queue.put(_DONE)
            self._thread.join()
            self._thread = None
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        try:
            with self._opener() as write:
                while (batch := self._queue.get()) is not _DONE:
                    write(batch)  # type: ignore[arg-type]
        except BaseException as exc:  # handed to the caller's thread by put or close
            self._error = exc
            while self._queue.get() is not _DONE:  # the caller may still be putting: take and drop
                pass
