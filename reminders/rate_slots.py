"""Rate limits shared by every instance on one database: the next free send slot, one row per limit.

Each send reserves a slot with one short UPDATE; instances on other hosts see the same row, so together
they keep to a limit such as Telegram's 30 messages a second per bot. Slots are in Unix seconds of the
wall clock: hosts should keep their clocks in sync (NTP), as they do anyway for TLS.
"""

from __future__ import annotations

from sqlalchemy import Engine, Table, case, update

from ledger.db import dialect_insert
from reminders.models import RateSlot

SLOTS: Table = RateSlot.__table__  # type: ignore[assignment]


class SqlRateSlots:
    """The ``rate_slots`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._created: set[str] = set()

    def reserve_slot(self, name: str, interval: float, now: float) -> float:
        """Reserve the next free slot of the shared limit ``name`` (one send per ``interval`` seconds).

        Return when (Unix seconds) the reserved send may go; every instance on the database shares the row.
        """
        created = name in self._created
        with self._engine.begin() as conn:
            if self._engine.dialect.name == "postgresql":
                # A reservation lost in a database crash costs nothing: don't wait for the disk.
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            if not created:
                conn.execute(
                    dialect_insert(self._engine.dialect.name, SLOTS)
                    .values(name=name, next_at=0.0)
                    .on_conflict_do_nothing(index_elements=["name"])
                )
            start = case((SLOTS.c.next_at > now, SLOTS.c.next_at), else_=now)
            stmt = (
                update(SLOTS)
                .where(SLOTS.c.name == name)
                .values(next_at=start + interval)
                .returning(SLOTS.c.next_at)
            )
            next_at: float = conn.execute(stmt).scalar_one()
        self._created.add(name)  # only once committed: another thread may skip the insert from now on
        return next_at - interval
