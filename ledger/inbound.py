"""Inbound messages remembered by (channel, provider id), so a provider's retry is answered only once."""

from __future__ import annotations

import threading
from typing import Protocol

from sqlalchemy import Engine, Table

from bot.kernel.clock import Clock
from bot.kernel.personal_data import mask_personal_data
from ledger.db import dialect_insert
from ledger.inbound_models import InboundMessage

INBOUND: Table = InboundMessage.__table__  # type: ignore[assignment]


class InboundStore(Protocol):
    """Remember inbound messages by (channel, provider id), so a provider's retry is answered only once."""

    def record(self, channel: str, provider_id: str, address: str, text: str) -> bool:
        """Store the message; return False when this (channel, provider_id) was already stored."""
        ...


class MemoryInboundStore:
    """The in-process InboundStore (tests, embedded use); forgets on restart, so production uses the SQL one."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._seen: dict[tuple[str, str], tuple[str, str]] = {}
        self._lock = threading.Lock()

    def record(self, channel: str, provider_id: str, address: str, text: str) -> bool:
        key = (channel, provider_id)
        with self._lock:
            if key in self._seen:
                return False
            if len(self._seen) >= self._capacity:
                # dicts keep insertion order: drop the oldest, a retry that late is not a retry any more
                del self._seen[next(iter(self._seen))]
            self._seen[key] = (address, text)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


class SqlInboundStore:
    """The InboundStore in the ``inbound_messages`` table: a retry is recognised after a restart too."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def record(self, channel: str, provider_id: str, address: str, text: str) -> bool:
        # The address stays as given (the reply goes there); the text needs no personal data to serve
        # as a record, so ID and mobile numbers in it are masked.
        row = {
            "channel": channel,
            "provider_id": provider_id,
            "address": address,
            "text": mask_personal_data(text),
            "received_at": self.clock.now(),
        }
        # ON CONFLICT DO NOTHING: of two concurrent retries exactly one inserts, without an error for the other.
        stmt = (
            dialect_insert(self.engine, INBOUND)
            .values(row)
            .on_conflict_do_nothing(index_elements=["channel", "provider_id"])
            .returning(INBOUND.c.id)
        )
        with self.engine.begin() as conn:
            return conn.execute(stmt).first() is not None
