"""Addresses a channel must not send to (a WeChat user who unfollowed, a Telegram chat that blocked the bot).

A block is keyed by (channel, address), like a binding: the person's other channels are not affected, and
reminders for them go by SMS while it lasts. It is lifted when they write or follow again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import Engine, Table, delete, select

from ledger.channel_models import ChannelBlock
from ledger.db import dialect_insert

BLOCKS: Table = ChannelBlock.__table__  # type: ignore[assignment]


class ChannelBlocks(Protocol):
    """Remember which addresses a channel will not deliver to."""

    def block(self, channel: str, address: str, reason: str, at: dt.datetime) -> None:
        """Stop sending on ``channel`` to ``address`` (kept if already blocked, with the new reason)."""
        ...

    def unblock(self, channel: str, address: str) -> bool:
        """Send again; False when the address was not blocked."""
        ...

    def blocked(self, channel: str, addresses: Iterable[str]) -> set[str]:
        """The given addresses that are blocked on ``channel``."""
        ...


class MemoryChannelBlocks:
    """ChannelBlocks in memory (tests, embedded use)."""

    def __init__(self) -> None:
        self._blocks: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def block(self, channel: str, address: str, reason: str, at: dt.datetime) -> None:
        with self._lock:
            self._blocks[(channel, address)] = reason

    def unblock(self, channel: str, address: str) -> bool:
        with self._lock:
            return self._blocks.pop((channel, address), None) is not None

    def blocked(self, channel: str, addresses: Iterable[str]) -> set[str]:
        with self._lock:
            return {a for a in addresses if (channel, a) in self._blocks}


class SqlChannelBlocks:
    """ChannelBlocks in the ``channel_blocks`` table, shared by every instance."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def block(self, channel: str, address: str, reason: str, at: dt.datetime) -> None:
        stmt = dialect_insert(self.engine, BLOCKS).values(
            channel=channel, address=address, reason=reason, since=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[BLOCKS.c.channel, BLOCKS.c.address], set_={"reason": stmt.excluded.reason}
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def unblock(self, channel: str, address: str) -> bool:
        stmt = delete(BLOCKS).where(BLOCKS.c.channel == channel, BLOCKS.c.address == address)
        with self.engine.begin() as conn:
            return conn.execute(stmt).rowcount > 0

    def blocked(self, channel: str, addresses: Iterable[str]) -> set[str]:
        wanted = list(set(addresses))
        if not wanted:
            return set()
        query = select(BLOCKS.c.address).where(BLOCKS.c.channel == channel, BLOCKS.c.address.in_(wanted))
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())
