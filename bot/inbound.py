"""What inbound channels share: phone normalization, the provider-id dedup stores, the async responder."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Protocol

from sqlalchemy import Engine, Table

from bot.clock import Clock
from bot.messages import Inbound, Reply, Responder
from bot.models import InboundMessage
from ledger.crypto import mask_personal_data
from ledger.store import dialect_insert

INBOUND: Table = InboundMessage.__table__  # type: ignore[assignment]

_NON_DIGITS = re.compile(r"\D")


def normalize_phone(raw: str) -> str:
    """Reduce ``+86 138-1234-5678`` and the like to the 11-digit number; other input keeps its digits."""
    digits = _NON_DIGITS.sub("", raw)
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    return digits


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


class AsyncResponder:
    """Run a sync Responder in a worker thread, one message at a time.

    The brain keeps per-conversation state; serializing calls means it never has to be thread-safe,
    while the event loop stays free for HTTP and Telegram traffic.
    """

    def __init__(self, responder: Responder) -> None:
        self._responder = responder
        self._lock = asyncio.Lock()

    async def answer(self, inbound: Inbound) -> Reply:
        """The responder's reply to ``inbound``."""
        async with self._lock:
            return await asyncio.to_thread(self._responder.handle, inbound)
