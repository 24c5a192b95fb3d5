"""Answers given in the HTTP response to a push itself (WeChat's passive reply), logged in the outbox as sent.

The outbox keeps every answer under its idempotency key, whichever way it went: a provider's retry finds
the answer already given and gets the same one again (passive), or nothing more (it went by the outbox).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ledger.db import dialect_insert
from reminders.outbox import OUTBOX, REPLY_KIND, SqlOutbox

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
    row = {
        "idempotency_key": idempotency_key,
        "trainee_id": None,
        "channel": channel,
        "address": address,
        "text": text,
        "kinds": REPLY_KIND,
        "send_at": now,
        "status": "sent",
        "attempts": 1,
        "next_attempt_at": now,
        "sent_at": now,
        "provider_id": PASSIVE,
        "created_at": now,
        "expires_at": now,  # delivered already: nothing left to send
    }
    stmt = (
        dialect_insert(outbox.dialect, OUTBOX)
        .values(row)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OUTBOX.c.id)
    )
    with outbox.engine.begin() as conn:
        return conn.execute(stmt).first() is not None


def reply_for(outbox: SqlOutbox, idempotency_key: str) -> StoredReply | None:
    """The answer stored under ``idempotency_key``, if any, and whether it went passively."""
    query = select(OUTBOX.c.text, OUTBOX.c.provider_id).where(OUTBOX.c.idempotency_key == idempotency_key)
    with outbox.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else StoredReply(row.text, row.provider_id == PASSIVE)
