"""Conversation state in the database: one small row per conversation, so any instance can answer the next."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine, Table, bindparam, delete, select

from bot.dialogue.conversation import CONTEXT_TTL, ConversationState
from ledger.array_rows import ArrayRows
from ledger.crypto import IdVault, KeyMismatchError
from ledger.db import by_channel, dialect_insert, lookup_keys
from ledger.dialogue_models import ConversationStateRow
from ledger.pipeline import read_later

log = logging.getLogger(__name__)

STATES: Table = ConversationStateRow.__table__  # type: ignore[assignment]
_STATE_COLUMNS = ("channel", "address", "state", "expires_at")


class SqlConversationStore:
    """The ConversationStore in ``conversation_states``; an ID number held mid-binding is stored encrypted.

    Lapsed rows are never read; each instance deletes them at most once per ``purge_every``.
    """

    def __init__(
        self,
        engine: Engine,
        vault: IdVault,
        ttl: dt.timedelta = CONTEXT_TTL,
        purge_every: dt.timedelta = dt.timedelta(minutes=10),
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self._vault = vault
        self._purge_every = purge_every
        self._purged_at: dt.datetime | None = None
        self._postgres = engine.dialect.name == "postgresql"
        # Built once: on the hot path SQLAlchemy then reuses their cache keys and compiled forms.
        self._select = select(STATES.c.state).where(
            STATES.c.channel == bindparam("channel"),
            STATES.c.address == bindparam("address"),
            STATES.c.expires_at > bindparam("now"),
        )
        live = STATES.c.expires_at > bindparam("now")
        self._select_many = lookup_keys(engine.dialect.name, STATES, "address", STATES.c.state, live)
        # On PostgreSQL the states go as arrays (ledger.array_rows): one statement text for any batch.
        self._states = ArrayRows.of(engine.dialect.name, STATES, _STATE_COLUMNS)
        upsert = dialect_insert(engine, STATES) if self._states.rows is None else self._states.insert(STATES)
        # A newer state is never overwritten by an older one: two group commits may run at once, and
        # the one carrying the older state may commit last (and so may another instance's).
        self._upsert = upsert.on_conflict_do_update(
            index_elements=[STATES.c.channel, STATES.c.address],
            set_={"state": upsert.excluded.state, "expires_at": upsert.excluded.expires_at},
            where=STATES.c.expires_at <= upsert.excluded.expires_at,
        )

    def load(self, channel: str, address: str, now: dt.datetime) -> ConversationState:
        with self.engine.connect() as conn:
            raw = conn.execute(self._select, {"channel": channel, "address": address, "now": now}).scalar()
        return ConversationState() if raw is None else self._state(channel, raw)

    def load_many_on(
        self, conn: Connection, chats: Sequence[tuple[str, str]], now: dt.datetime
    ) -> dict[tuple[str, str], ConversationState]:
        """The states of several conversations (channel, address) in the caller's transaction, one query.

        Conversations without a state (or whose state lapsed) are left out.
        """
        return self.send_load_many_on(conn, chats, now)()

    def send_load_many_on(
        self, conn: Connection, chats: Sequence[tuple[str, str]], now: dt.datetime
    ) -> Callable[[], dict[tuple[str, str], ConversationState]]:
        """``load_many_on`` whose rows are read when the result is called (in a pipeline: after it)."""
        sent = [
            (
                channel,
                read_later(conn, self._select_many, {"channel": channel, "keys": addresses, "now": now}),
            )
            for channel, addresses in sorted(by_channel(chats).items())
        ]

        def found() -> dict[tuple[str, str], ConversationState]:
            states: dict[tuple[str, str], ConversationState] = {}
            for channel, rows in sent:
                for address, raw in rows.all():
                    if raw is not None:
                        states[channel, address] = self._state(channel, raw)
            return states

        return found

    def _state(self, channel: str, raw: str) -> ConversationState:
        values = json.loads(raw)
        sealed = values.get("pending_id")
        if sealed:
            try:
                values["pending_id"] = self._vault.decrypt(sealed)
            except KeyMismatchError:  # the key was rotated since: the trainee sends the number again
                log.info("a pending ID number on %s could not be read with the current key", channel)
                values.pop("pending_id")
        return ConversationState.from_dict(values)

    def save(self, channel: str, address: str, state: ConversationState, now: dt.datetime) -> None:
        state.updated_at = now
        with self.engine.begin() as conn:
            if self._postgres:
                # A context lost in a database crash costs a question asked again, not a wait for the disk.
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            self.save_many_on(conn, [(channel, address, state)])

    def save_many_on(self, conn: Connection, states: Sequence[tuple[str, str, ConversationState]]) -> None:
        """Keep several states as of their ``updated_at`` in the caller's transaction (one upsert for all).

        Rows go in key order, so two instances saving the same conversations lock them in the same order.
        """
        if not states:
            return
        rows = [self._row(*entry) for entry in sorted(states, key=lambda e: e[:2])]
        conn.execute(self._upsert, self._states.params(rows))
        now = max(state.updated_at or dt.datetime.min.replace(tzinfo=dt.UTC) for _, _, state in states)
        if self._purged_at is None or now - self._purged_at >= self._purge_every:
            self._purged_at = now
            conn.execute(delete(STATES).where(STATES.c.expires_at <= now))

    def _row(self, channel: str, address: str, state: ConversationState) -> dict[str, object]:
        if state.updated_at is None:
            raise ValueError("a conversation state is saved as of its updated_at; it has none")
        values = state.as_dict()
        if state.pending_id:
            values["pending_id"] = self._vault.encrypt(state.pending_id)
        return {
            "channel": channel,
            "address": address,
            "state": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
            "expires_at": state.updated_at + self.ttl,
        }
