"""Locks that die with their holder: PostgreSQL advisory locks, or ``flock`` files beside a SQLite database.

A lease row with a PID in it outlives a crash and can even look alive after a restart (a container's
process is PID 1 again); these locks are released by the database server when the session ends, or by
the kernel when the process exits, so a restarted service takes over at once.

Named locks (one key each): ``migrations`` (upgrades one at a time), ``dispatch`` (SQLite's single
dispatcher), ``plan`` (one reminder plan sweep per cluster), ``keys`` (held shared by every service and
import, exclusively by key rotation), ``indexes`` (a bulk write's indexes set aside: ledger.pg_indexes).
PostgreSQL dispatchers each hold an *owner* lock in their own namespace instead: a row left ``sending`` by an owner whose lock nobody holds belongs to a dead dispatcher.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text

from ledger.liveness import hung_up

log = logging.getLogger(__name__)

# pg_advisory_lock(int4, int4): the first half names this application ("jxjy"), the second the lock.
NAMESPACE = 0x6A786A79
OWNER_NAMESPACE = NAMESPACE + 1
# How long a session holding a lock is trusted on a look at its socket alone (ledger.liveness) before a
# round trip asks the server again.
ASK_EVERY = 1.0
KEYS = {"migrations": 1, "dispatch": 2, "plan": 3, "keys": 4, "indexes": 5}


class LockBusyError(Exception):
    """A lock another process holds; the message says who to wait for."""


class NamedLock(Protocol):
    """A lock held until ``release`` or until the holder dies."""

    def try_acquire(self, *, shared: bool = False) -> bool:
        """Take the lock if free (or, ``shared``, if nobody holds it exclusively); never wait."""
        ...

    def release(self) -> None:
        """Give the lock up; nothing happens when it is not held."""
        ...

    def alive(self) -> bool:
        """Tell whether the lock is still held (a PostgreSQL session can be cut under us)."""
        ...


class FileLock:
    """``flock`` on a file: the kernel drops it when the process exits, however it exits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._guard = threading.Lock()

    def try_acquire(self, *, shared: bool = False) -> bool:
        with self._guard:
            if self._fd is not None:
                return True
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            self._fd = fd
            return True

    def release(self) -> None:
        with self._guard:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None

    def alive(self) -> bool:
        return self._fd is not None


class AdvisoryLock:
    """A session-level PostgreSQL advisory lock on a connection of its own, held until released."""

    def __init__(self, engine: Engine, key: int, namespace: int = NAMESPACE) -> None:
        self.engine = engine
        self.key = key
        self.namespace = namespace
        self._conn: Connection | None = None
        self._shared = False
        self._guard = threading.Lock()
        self._asked_at = float("-inf")  # time.monotonic() of the last round trip that found the session

    def try_acquire(self, *, shared: bool = False) -> bool:
        with self._guard:
            if self._conn is not None:
                return True
            function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
            conn = self.engine.connect()
            try:
                got = conn.execute(text(f"SELECT {function}(:ns, :key)"), self._params).scalar_one()
                conn.commit()  # a session lock outlives the transaction; don't leave one open
            except BaseException:
                conn.invalidate()
                conn.close()
                raise
            if not got:
                conn.close()
                return False
            self._conn, self._shared = conn, shared
            return True

    def release(self) -> None:
        with self._guard:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            function = "pg_advisory_unlock_shared" if self._shared else "pg_advisory_unlock"
            try:
                conn.execute(text(f"SELECT {function}(:ns, :key)"), self._params)
                conn.commit()
            except Exception:
                # Unsure whether the lock went: close the session itself, which drops every lock it holds.
                conn.invalidate()
            conn.close()

    def alive(self) -> bool:
        """Whether the session still holds the lock: its socket looked at, the server asked once a second.

        The dispatcher asks before every pass (one follows each batch of replies); a round trip each
        time cost two statements and a thread hop per pass.
        """
        with self._guard:
            if self._conn is None:
                return False
            recently = time.monotonic() - self._asked_at < ASK_EVERY
            if recently and hung_up(self._conn.connection.dbapi_connection) is False:
                return True
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                self._asked_at = time.monotonic()
            except Exception:
                log.warning("lost the database session holding advisory lock %d/%d", self.namespace, self.key)
                self._conn.invalidate()
                self._conn.close()
                self._conn = None
                return False
            return True

    @property
    def _params(self) -> dict[str, int]:
        return {"ns": self.namespace, "key": self.key}


class UnsharedLock:
    """For a SQLite database in memory: no other process can open it, so there is nobody to exclude."""

    def __init__(self) -> None:
        self._held = False

    def try_acquire(self, *, shared: bool = False) -> bool:
        self._held = True
        return True

    def release(self) -> None:
        self._held = False

    def alive(self) -> bool:
        return self._held


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for an in-memory database or another backend)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database)


def named_lock(engine: Engine, name: str) -> NamedLock:
    """The lock called ``name`` for this database: advisory on PostgreSQL, a file beside a SQLite file."""
    if name not in KEYS:
        raise ValueError(f"unknown lock {name!r}; expected one of {', '.join(KEYS)}")
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, KEYS[name])
    database = sqlite_file(engine)
    if database is None:
        return UnsharedLock()
    return FileLock(database.with_name(f"{database.name}.{name}.lock"))


def acquire(lock: NamedLock, *, shared: bool = False, timeout: float = 0.0, poll: float = 0.2) -> bool:
    """Try to take ``lock`` until ``timeout`` seconds have passed; tell whether it was taken."""
    deadline = time.monotonic() + timeout
    while not lock.try_acquire(shared=shared):
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
    return True


@contextlib.contextmanager
def holding(lock: NamedLock, busy: str, *, shared: bool = False, timeout: float = 0.0) -> Iterator[None]:
    """Hold ``lock`` for a block; raise LockBusyError(``busy``) when it cannot be had within ``timeout``."""
    if not acquire(lock, shared=shared, timeout=timeout):
        raise LockBusyError(busy)
    try:
        yield
    finally:
        lock.release()


def live_owner_keys(conn: Connection) -> set[int]:
    """The owner locks held right now in this database (dispatchers whose session is alive)."""
    rows = conn.execute(
        text(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = :ns "
            "AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"ns": OWNER_NAMESPACE},
    )
    return {int(objid) for (objid,) in rows}
