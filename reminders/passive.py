"""Answers given in the HTTP response to a push itself (WeChat's passive reply), logged in the outbox as sent.

The outbox keeps every answer under its idempotency key, whichever way it went: a provider's retry finds
the answer already given and gets the same one again (passive), or nothing more (it went by the outbox).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ledger.array_rows import ArrayRows
from ledger.db import dialect_insert
from ledger.pipeline import read_later
from reminders.outbox import OUTBOX, REPLY_COLUMNS, ReplyRow, SqlOutbox
from reminders.outbox_rows import reply_row

_PASSIVE_COLUMNS = (*REPLY_COLUMNS, "sent_at", "provider_id")
# The provider id that marks an answer given in the push's HTTP response.
PASSIVE = "passive"


@dataclass(frozen=True, slots=True)
class StoredReply:
    """An answer already in the outbox: its text, and whether it went in the push's own HTTP response."""

    text: str
    passive: bool


def record_passive_reply(
    outbox: SqlOutbox, idempotency_key: str, channel: str, address: str, text: str, now: dt.datetime
) -> bool:
    """Log an answer delivered passively as sent; False when ``idempotency_key`` is taken (see ``reply_for``)."""
    with outbox.engine.begin() as conn:
        return record_passive_replies_on(
            conn, outbox, [ReplyRow(idempotency_key, channel, address, text, now)]
        )[0]


def record_passive_replies_on(conn: Connection, outbox: SqlOutbox, replies: Sequence[ReplyRow]) -> list[bool]:
    """Log several passive answers in the caller's transaction (one INSERT); False for a key already taken."""
    return send_passive_replies_on(conn, outbox, replies)()


def send_passive_replies_on(
    conn: Connection, outbox: SqlOutbox, replies: Sequence[ReplyRow]
) -> Callable[[], list[bool]]:
    """``record_passive_replies_on`` whose rows are read when the result is called (in a pipeline: after)."""
    first: dict[str, int] = {}
    for index, reply in enumerate(replies):
        first.setdefault(reply.idempotency_key, index)
    rows = [_passive_row(replies[index]) for _, index in sorted(first.items())]
    statement, arrays = _insert(outbox.dialect)
    sent = read_later(conn, statement, arrays.params(rows)) if rows else None

    def logged() -> list[bool]:
        inserted = {key for (key,) in sent.all()} if sent is not None else set()
        return [
            first[reply.idempotency_key] == index and reply.idempotency_key in inserted
            for index, reply in enumerate(replies)
        ]

    return logged


@functools.cache
def _insert(dialect: str) -> tuple[Any, ArrayRows]:
    """The INSERT of passive answers and how its rows go (on PostgreSQL as arrays), built once per dialect."""
    arrays = ArrayRows.of(dialect, OUTBOX, _PASSIVE_COLUMNS)
    insert = (
        dialect_insert(dialect, OUTBOX).values({name: bindparam(name) for name in _PASSIVE_COLUMNS})
        if arrays.rows is None
        else arrays.insert(OUTBOX)
    )
    statement = insert.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(
        OUTBOX.c.idempotency_key
    )
    return statement, arrays


def _passive_row(reply: ReplyRow) -> dict[str, object]:
    return {
        **reply_row(reply),
        "status": "sent",
        "attempts": 1,
        "sent_at": reply.now,
        "provider_id": PASSIVE,
        "expires_at": reply.now,  # delivered already: nothing left to send
    }


def reply_for(outbox: SqlOutbox, idempotency_key: str) -> StoredReply | None:
    """The answer stored under ``idempotency_key``, if any, and whether it went passively."""
    query = select(OUTBOX.c.text, OUTBOX.c.provider_id).where(OUTBOX.c.idempotency_key == idempotency_key)
    with outbox.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else StoredReply(row.text, row.provider_id == PASSIVE)
