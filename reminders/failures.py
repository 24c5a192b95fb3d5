"""What did not reach its person, and why: the rows staff need to act on (``jxjy reminders failed``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, or_, select

from reminders.outbox import OUTBOX


@dataclass(frozen=True, slots=True)
class Failure:
    """A message that failed for good, was parked or was not delivered, with the provider's reason."""

    id: int
    channel: str
    address: str
    kinds: str
    status: str
    receipt: str | None
    reason: str | None
    created_at: dt.datetime


def failures(engine: Engine, limit: int = 50) -> list[Failure]:
    """The latest failures, newest first."""
    failed = or_(OUTBOX.c.status.in_(("failed", "parked")), OUTBOX.c.receipt == "failed")
    query = (
        select(OUTBOX.c.id, OUTBOX.c.channel, OUTBOX.c.address, OUTBOX.c.kinds, OUTBOX.c.status)
        .add_columns(OUTBOX.c.receipt, OUTBOX.c.last_error, OUTBOX.c.created_at)
        .where(failed)
        .order_by(OUTBOX.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [Failure(*row) for row in conn.execute(query)]
