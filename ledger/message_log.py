"""The message log for staff review, written once per exchange: both messages in one short transaction.

Statements are built once per log, not per message: the log is written for every message the service
answers, and building SQLAlchemy statements costs more than running them. On PostgreSQL the log's commit
does not wait for the disk (``synchronous_commit`` off for this transaction only): a crash of the database
server may lose the last fraction of a second of log lines, never corrupt anything, and the answer does not
wait on an fsync. What must survive (the message itself, the queued reply) is committed as usual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, Engine, bindparam, insert, select
from sqlalchemy.dialects import postgresql

from bot.kernel.personal_data import mask_ids_in_text
from ledger.array_rows import ArrayRows
from ledger.db import dialect_insert
from ledger.store import CONVERSATIONS, MESSAGES


class Exchange(NamedTuple):
    """A message received and the answer to it, as logged: where, both texts, the intent, when."""

    channel: str
    address: str
    received: str
    answered: str
    intent: str | None
    at: dt.datetime


class SqlMessageLog:
    """Append exchanges (what came in, what went out) to ``conversations`` and ``messages``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        # On PostgreSQL the rows go as arrays (ledger.array_rows): one statement text for any batch.
        self._conversations = ArrayRows(
            dialect, [("channel", CONVERSATIONS.c.channel.type), ("address", CONVERSATIONS.c.address.type),
                      ("at", CONVERSATIONS.c.created_at.type)],
        )  # fmt: skip
        fields = [("channel", CONVERSATIONS.c.channel.type), ("address", CONVERSATIONS.c.address.type)]
        fields += [(name, MESSAGES.c[name].type) for name in ("direction", "text", "intent", "at")]
        self._messages = ArrayRows(dialect, fields)
        given = self._conversations.rows
        self._add_conversation = (
            dialect_insert(engine, CONVERSATIONS).values(
                channel=bindparam("channel"), address=bindparam("address"), created_at=bindparam("at")
            )
            if given is None
            else postgresql.insert(CONVERSATIONS).from_select(
                ["channel", "address", "created_at"], select(given.c.channel, given.c.address, given.c.at)
            )
        ).on_conflict_do_nothing(index_elements=[CONVERSATIONS.c.channel, CONVERSATIONS.c.address])
        # Each message finds its conversation by the unique (channel, address) itself: no round trip for ids.
        rows = self._messages.rows
        channel, address = (
            (bindparam("channel"), bindparam("address")) if rows is None else (rows.c.channel, rows.c.address)
        )
        conversation_id = (
            select(CONVERSATIONS.c.id)
            .where(CONVERSATIONS.c.channel == channel, CONVERSATIONS.c.address == address)
            .scalar_subquery()
        )
        if rows is None:
            self._add_message = insert(MESSAGES).values(
                conversation_id=conversation_id,
                direction=bindparam("direction"),
                text=bindparam("text"),
                intent=bindparam("intent"),
                at=bindparam("at"),
            )
        else:  # in the arrays' order, so the message ids keep the order of the exchanges
            self._add_message = insert(MESSAGES).from_select(
                ["conversation_id", "direction", "text", "intent", "at"],
                select(conversation_id, rows.c.direction, rows.c.text, rows.c.intent, rows.c.at),
            )
        self._relaxed = engine.dialect.name == "postgresql"

    def log_exchange(
        self, channel: str, address: str, received: str, answered: str, intent: str | None, at: dt.datetime
    ) -> None:
        """Store a message received and the answer to it, ID numbers masked."""
        with self._engine.begin() as conn:
            if self._relaxed:
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            self.log_many_on(conn, [Exchange(channel, address, received, answered, intent, at)])

    def log_many_on(self, conn: Connection, exchanges: Sequence[Exchange]) -> None:
        """Store several exchanges in the caller's transaction: two statements however many there are."""
        if not exchanges:
            return
        earliest: dict[tuple[str, str], dt.datetime] = {}
        for e in exchanges:
            earliest[e.channel, e.address] = min(e.at, earliest.get((e.channel, e.address), e.at))
        conversations = [{"channel": c, "address": a, "at": at} for (c, a), at in sorted(earliest.items())]
        conn.execute(self._add_conversation, self._conversations.params(conversations))
        conn.execute(
            self._add_message,
            self._messages.params([
                {"channel": e.channel, "address": e.address, "direction": direction, "text": mask_ids_in_text(text),
                 "intent": e.intent, "at": e.at}
                for e in exchanges
                for direction, text in (("in", e.received), ("out", e.answered))
            ]),
        )  # fmt: skip
