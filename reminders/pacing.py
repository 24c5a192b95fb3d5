"""Pacing sends: Telegram's limits in one process, and limits shared by every instance on one database.

A shared limit is the next free send slot, one row per limit.

Each send reserves a slot with one short UPDATE (on PostgreSQL its transaction in one round trip);
instances on other hosts see the same row, so together they keep to a limit such as Telegram's 30 messages a
second per bot. Slots are in Unix seconds of the wall clock: hosts should keep their clocks in sync (NTP), as
they do anyway for TLS.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Protocol

from aiolimiter import AsyncLimiter
from sqlalchemy import Engine, Float, Table, bindparam, case, update

from ledger.db import dialect_insert
from ledger.pipeline import one_trip, read_later
from reminders.models import RateSlot

SLOTS: Table = RateSlot.__table__  # type: ignore[assignment]


class SqlRateSlots:
    """The ``rate_slots`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._created: set[str] = set()
        self._create = (
            dialect_insert(engine.dialect.name, SLOTS)
            .values(name=bindparam("name"), next_at=0.0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        now = bindparam("now", type_=Float)
        start = case((SLOTS.c.next_at > now, SLOTS.c.next_at), else_=now)
        self._reserve = (
            update(SLOTS)
            .where(SLOTS.c.name == bindparam("slot"))
            .values(next_at=start + bindparam("interval", type_=Float))
            .returning(SLOTS.c.next_at)
        )

    def reserve_slot(self, name: str, interval: float, now: float) -> float:
        """Reserve the next free slot of the shared limit ``name`` (one send per ``interval`` seconds).

        Return when (Unix seconds) the reserved send may go; every instance on the database shares the row.
        On PostgreSQL the transaction is one round trip (a Telegram send reserves one while requests come).
        """
        created = name in self._created
        with one_trip(self._engine) as conn:
            if self._engine.dialect.name == "postgresql":
                # A reservation lost in a database crash costs nothing: don't wait for the disk.
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            if not created:
                conn.execute(self._create, {"name": name})
            reserved = read_later(conn, self._reserve, {"slot": name, "now": now, "interval": interval})
        self._created.add(name)  # only once committed: another thread may skip the insert from now on
        next_at: float = reserved.all()[0][0]
        return next_at - interval


class Pacer(Protocol):
    """Wait until one more message to ``key`` may go."""

    async def wait(self, key: str) -> None: ...


class RateLimiter:
    """Telegram's pacing: ``per_second`` sends overall (aiolimiter), one per ``per_key_interval`` per chat.

    A chat is remembered only while its next send would still have to wait: the time it may send again,
    dropped once that time has passed. A run answering thousands of chats keeps a few seconds' worth of
    them, not a limiter object for each.
    """

    def __init__(self, per_second: float, per_key_interval: float) -> None:
        self._overall = AsyncLimiter(per_second, 1.0)
        self._per_key_interval = per_key_interval
        # Chat -> loop time it may send again, oldest first: the front is dropped once its time has passed.
        self._next_at: OrderedDict[str, float] = OrderedDict()

    async def wait(self, key: str) -> None:
        """Return when one more send to ``key`` keeps within both limits."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._next_at and next(iter(self._next_at.values())) <= now:
            self._next_at.popitem(last=False)
        at = max(now, self._next_at.pop(key, now))
        self._next_at[key] = at + self._per_key_interval
        if at > now:
            await asyncio.sleep(at - now)
        await self._overall.acquire()

    def __len__(self) -> int:
        """How many chats must still wait before their next send."""
        return len(self._next_at)


_UNLIMITED = 1e9  # sends a second: no overall limit in this process, the shared one applies


class SharedRateLimiter:
    """A global rate shared by every dispatcher on one database (Telegram's 30 messages a second per bot).

    Each send reserves the next slot in the ``rate_slots`` row; per-chat spacing stays local.
    """

    def __init__(self, slots: SqlRateSlots, name: str, per_second: float, per_key_interval: float) -> None:
        self._slots = slots
        self._name = name
        self._interval = 1.0 / per_second
        self._per_key = RateLimiter(_UNLIMITED, per_key_interval)

    async def wait(self, key: str) -> None:
        await self._per_key.wait(key)
        at = await asyncio.to_thread(self._slots.reserve_slot, self._name, self._interval, time.time())
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
