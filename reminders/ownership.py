"""Who may dispatch: a lock that dies with its holder names each dispatcher and shows which ones are gone.

SQLite allows one dispatcher: it holds the ``dispatch`` file lock, so every row it finds in ``sending`` at
start was left by one that died. PostgreSQL allows many (claims skip each other's rows): each holds an owner
lock of its own, and a row in ``sending`` whose owner's lock nobody holds is an orphan to requeue. Neither
lock survives its process, so a restarted container (same host name, PID 1 again) dispatches at once.
"""

from __future__ import annotations

import logging
import os
import random
import socket

from sqlalchemy import Engine

from ledger.locks import OWNER_NAMESPACE, AdvisoryLock, NamedLock, named_lock

log = logging.getLogger(__name__)

_KEY_BITS = 31  # pg_locks shows objid as an oid; stay in the positive int4 range


class DispatcherBusyError(Exception):
    """Another dispatcher holds the SQLite outbox; only one may run there."""


def owner_key(owner: str) -> int | None:
    """The owner-lock key at the end of an owner name (``host:pid:key``); None for other names."""
    tail = owner.rpartition(":")[2]
    return int(tail) if tail.isdigit() else None


class DispatchRight:
    """The right to dispatch from one database, held from ``take`` to ``release`` (or the process's end)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.single = engine.dialect.name != "postgresql"
        self.owner = ""
        self._lock: NamedLock | None = None

    def take(self) -> None:
        """Take the right; raise DispatcherBusyError when SQLite's single dispatcher runs elsewhere."""
        if self._lock is not None:
            return
        if self.single:
            lock = named_lock(self.engine, "dispatch")
            if not lock.try_acquire():
                raise DispatcherBusyError(
                    "another dispatcher (`jxjy serve` or `jxjy reminders run`) is sending from this SQLite "
                    "database; SQLite allows one dispatcher: wait for it, stop it, or use PostgreSQL"
                )
            self._lock, self.owner = lock, self._name(random.getrandbits(32))
            return
        while True:
            key = random.getrandbits(_KEY_BITS) or 1
            advisory = AdvisoryLock(self.engine, key, OWNER_NAMESPACE)
            if advisory.try_acquire():  # a clash with a live owner's key just draws again
                self._lock, self.owner = advisory, self._name(key)
                return

    def alive(self) -> bool:
        """Tell whether the right is still held; False after its database session was lost."""
        return self._lock is not None and self._lock.alive()

    def release(self) -> None:
        """Give the right up (a clean stop)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @staticmethod
    def _name(key: int) -> str:
        # Host and PID are for people reading the table; only the key is used to tell the living from the dead.
        return f"{socket.gethostname()}:{os.getpid()}:{key}"
