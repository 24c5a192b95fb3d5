"""One-time codes that finish binding a chat: sent by SMS to the phone in the ledger, kept only as a keyed hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, Table, delete, select

from ledger.db import dialect_insert
from ledger.dialogue_models import BindCode

CODES: Table = BindCode.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class PendingCode:
    """A code issued to one chat address for one trainee; ``code_hash`` from ``hash_code``."""

    trainee_id: int
    code_hash: str
    created_at: dt.datetime
    expires_at: dt.datetime


def code_key(secret_key: str) -> bytes:
    """The key codes are hashed with, derived from JXJY_SECRET_KEY (the same on every instance)."""
    return hmac.new(secret_key.encode("utf-8"), b"jxjy bind code", hashlib.sha256).digest()


def hash_code(key: bytes, channel: str, address: str, code: str) -> str:
    """The keyed hash of ``code`` for this chat address: a code is good only where it was asked for."""
    message = "\0".join((channel, address, code)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class BindCodeStore(Protocol):
    """At most one pending code per chat address; a new one replaces the old."""

    def put(self, channel: str, address: str, code: PendingCode) -> None: ...
    def get(self, channel: str, address: str) -> PendingCode | None: ...
    def delete(self, channel: str, address: str) -> None: ...


class MemoryBindCodeStore:
    """Pending codes in this process (tests, the terminal)."""

    def __init__(self) -> None:
        self._codes: dict[tuple[str, str], PendingCode] = {}
        self._lock = threading.Lock()

    def put(self, channel: str, address: str, code: PendingCode) -> None:
        with self._lock:
            self._codes[(channel, address)] = code

    def get(self, channel: str, address: str) -> PendingCode | None:
        with self._lock:
            return self._codes.get((channel, address))

    def delete(self, channel: str, address: str) -> None:
        with self._lock:
            self._codes.pop((channel, address), None)


class SqlBindCodeStore:
    """Pending codes in ``bind_codes``, so the instance that checks a code need not be the one that sent it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, channel: str, address: str, code: PendingCode) -> None:
        row = {
            "channel": channel,
            "address": address,
            "trainee_id": code.trainee_id,
            "code_hash": code.code_hash,
            "created_at": code.created_at,
            "expires_at": code.expires_at,
        }
        stmt = dialect_insert(self.engine, CODES).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=[CODES.c.channel, CODES.c.address],
            set_={
                name: stmt.excluded[name] for name in ("trainee_id", "code_hash", "created_at", "expires_at")
            },
        )
        with self.engine.begin() as conn:
            # Lapsed codes of any address go too: the table holds only codes still in play.
            conn.execute(delete(CODES).where(CODES.c.expires_at <= code.created_at))
            conn.execute(stmt)

    def get(self, channel: str, address: str) -> PendingCode | None:
        query = select(CODES.c.trainee_id, CODES.c.code_hash, CODES.c.created_at, CODES.c.expires_at).where(
            CODES.c.channel == channel, CODES.c.address == address
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else PendingCode(*row)

    def delete(self, channel: str, address: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(CODES).where(CODES.c.channel == channel, CODES.c.address == address))
