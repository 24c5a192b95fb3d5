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

from bot.kernel.personal_data import mask_ids_in_text
from ledger.db import by_channel, dialect_insert, lookup_keys
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
        self._add_conversation = (
            dialect_insert(engine, CONVERSATIONS)
            .values(channel=bindparam("channel"), address=bindparam("address"), created_at=bindparam("at"))
            .on_conflict_do_nothing(index_elements=[CONVERSATIONS.c.channel, CONVERSATIONS.c.address])
        )
        self._conversation_id = select(CONVERSATIONS.c.id).where(
            CONVERSATIONS.c.channel == bindparam("channel"), CONVERSATIONS.c.address == bindparam("address")
        )
        self._conversation_ids = lookup_keys(
            engine.dialect.name, CONVERSATIONS, "address", CONVERSATIONS.c.id
        )
        self._add_message = insert(MESSAGES)
        self._relaxed = engine.dialect.name == "postgresql"

    def log_exchange(
        self, channel: str, address: str, received: str, answered: str, intent: str | None, at: dt.datetime
    ) -> None:
        """Store a message received and the answer to it, ID numbers masked."""
        key = {"channel": channel, "address": address, "at": at}
        with self._engine.begin() as conn:
            if self._relaxed:
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            conn.execute(self._add_conversation, key)
            conversation_id = conn.execute(self._conversation_id, key).scalar_one()
            conn.execute(
                self._add_message,
                [
                    {"conversation_id": conversation_id, "direction": direction, "text": mask_ids_in_text(text),
                     "intent": intent, "at": at}
                    for direction, text in (("in", received), ("out", answered))
                ],
            )  # fmt: skip

    def log_many_on(self, conn: Connection, exchanges: Sequence[Exchange]) -> None:
        """Store several exchanges in the caller's transaction: three statements however many there are."""
        if not exchanges:
            return
        chats = sorted({(e.channel, e.address) for e in exchanges})
        earliest: dict[tuple[str, str], dt.datetime] = {}
        for e in exchanges:
            earliest[e.channel, e.address] = min(e.at, earliest.get((e.channel, e.address), e.at))
        conn.execute(
            self._add_conversation, [{"channel": c, "address": a, "at": earliest[c, a]} for c, a in chats]
        )
        ids = {
            (channel, address): conversation_id
            for channel, addresses in by_channel(chats).items()
            for address, conversation_id in conn.execute(
                self._conversation_ids, {"channel": channel, "keys": addresses}
            )
        }
        conn.execute(
            self._add_message,
            [
                {"conversation_id": ids[e.channel, e.address], "direction": direction, "text": mask_ids_in_text(text),
                 "intent": e.intent, "at": e.at}
                for e in exchanges
                for direction, text in (("in", e.received), ("out", e.answered))
            ],
        )  # fmt: skip
