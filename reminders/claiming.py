"""The claim, as one statement built once per outbox: take due rows for one dispatcher, mark them ``sending``.

It skips rows other dispatchers hold (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one dispatcher),
expired rows, and rows of trainees who opted out, except replies: the person has just asked. Due rows come
in (next_attempt_at, id) order straight from the outbox's index, so a claim never sorts the whole queue.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, exists, or_, select, update

from ledger.array_rows import ArrayRows
from ledger.models import Trainee
from reminders.models import OutboxMessage

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
TRAINEES: Table = Trainee.__table__  # type: ignore[assignment]
# The kind of an answer to a message just received: sent at once, also in quiet hours and after an opt-out.
REPLY_KIND = "reply"


def claim_statement(replies_only: bool) -> Any:
    """Claim up to ``size`` due rows for ``owner`` at ``now``: mark them ``sending`` and return them."""
    opted_out = exists().where(TRAINEES.c.id == OUTBOX.c.trainee_id, TRAINEES.c.opted_out.is_(True))
    is_reply = OUTBOX.c.kinds == REPLY_KIND
    now = bindparam("now", type_=OUTBOX.c.next_attempt_at.type)
    due = (
        select(OUTBOX.c.id)
        .where(
            OUTBOX.c.status == "queued",
            OUTBOX.c.next_attempt_at <= now,
            OUTBOX.c.expires_at > now,
            is_reply if replies_only else or_(is_reply, ~opted_out),
        )
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(bindparam("size"))
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one dispatcher (a file lock)
    )
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(due.scalar_subquery()))
        .values(
            status="sending",
            claimed_by=bindparam("owner"),
            claimed_at=bindparam("claimed_at", type_=OUTBOX.c.claimed_at.type),
            attempts=OUTBOX.c.attempts + 1,
        )
        .returning(
            OUTBOX.c.id,
            OUTBOX.c.trainee_id,
            OUTBOX.c.channel,
            OUTBOX.c.address,
            OUTBOX.c.text,
            OUTBOX.c.attempts,
            OUTBOX.c.kinds,
            OUTBOX.c.expires_at,
        )
    )


def mark_sent_statement(dialect: str) -> tuple[ArrayRows, Any]:
    """Record accepted sends (``row_id``, ``at``, ``provider``) of rows ``owner`` holds: its rows and statement.

    On PostgreSQL one UPDATE ... FROM the arrays for every row of a pass (ledger.array_rows), not an
    UPDATE per row; elsewhere the statement is executed once per row.
    """
    sent = ArrayRows(
        dialect,
        [
            ("row_id", OUTBOX.c.id.type),
            ("at", OUTBOX.c.sent_at.type),
            ("provider", OUTBOX.c.provider_id.type),
        ],
    )
    rows = sent.rows.c if sent.rows is not None else None
    statement = (
        update(OUTBOX)
        .where(OUTBOX.c.id == (bindparam("row_id") if rows is None else rows.row_id))
        .where(OUTBOX.c.status == "sending", OUTBOX.c.claimed_by == bindparam("owner"))
        .values(
            status="sent",
            claimed_by=None,
            sent_at=bindparam("at") if rows is None else rows.at,
            provider_id=bindparam("provider") if rows is None else rows.provider,
            last_error=None,
        )
    )
    return sent, statement
