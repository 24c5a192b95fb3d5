"""Inbound messages claimed by (channel, provider id): of a provider's concurrent retries, one answers.

A message is claimed when it is stored; the claimer answers it and marks it handled. A retry finds it
handled (a duplicate) or still claimed (in flight: wait, or tell the provider to retry later). A claim
lapses after ``lease``: a retry after the claimer crashed takes the message over and answers it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

from sqlalchemy import Connection, Engine, String, Table, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql

from bot.kernel.personal_data import mask_personal_data
from ledger.array_rows import ArrayRows
from ledger.db import UTCDateTime, dialect_insert
from ledger.inbound_models import InboundMessage
from ledger.pipeline import Rows, read_later

INBOUND: Table = InboundMessage.__table__  # type: ignore[assignment]

# "new" and "taken_over": this caller answers. "handled": a duplicate. "in_flight": another caller answers.
Claim = Literal["new", "taken_over", "handled", "in_flight"]
CLAIM_LEASE = dt.timedelta(seconds=60)
_CLAIM_COLUMNS = ("channel", "provider_id", "address", "text", "received_at", "claimed_at")
ANSWERING: frozenset[Claim] = frozenset({"new", "taken_over"})


class InboundStore(Protocol):
    """Store inbound messages once per (channel, provider id) and say who answers each."""

    def claim(self, channel: str, provider_id: str, address: str, text: str, now: dt.datetime) -> Claim:
        """Store the message (first time, received ``now``) and try to claim it; see ``Claim``."""
        ...

    def handled(self, channel: str, provider_id: str, now: dt.datetime) -> None:
        """Mark a claimed message answered (or deliberately left unanswered): a retry is a duplicate."""
        ...

    def count_from(self, channel: str, address: str, since: dt.datetime) -> int:
        """How many messages ``address`` sent on ``channel`` since ``since`` (received time)."""
        ...


class ClaimRequest(NamedTuple):
    """A message to claim: its channel, the provider's id, the sender, the text, when it came.

    With ``window``, the sender's messages on the channel within that time are counted too (see ``Intake``).
    """

    channel: str
    provider_id: str
    address: str
    text: str
    now: dt.datetime
    window: dt.timedelta | None = None


@dataclass(frozen=True, slots=True)
class SentIntake:
    """Claims sent (``SqlInboundStore.send_intake_on``) whose rows are still to be read."""

    requests: list[ClaimRequest]
    first: dict[tuple[str, str], int]  # each message's first request in the batch
    inserted: Rows | None  # (channel, provider id) of the messages new to the table
    counts: list[tuple[list[int], Rows]]  # requests, and (address, count) of their senders


class Intake(NamedTuple):
    """A claim, and for a claim this caller answers (asked with a window) the sender's recent messages.

    ``recent`` counts the messages the sender sent on the channel within the window, this one included; it is
    0 when not counted.
    """

    claim: Claim
    recent: int = 0


def claim_all(store: InboundStore, requests: Sequence[ClaimRequest]) -> list[Claim]:
    """Claim several messages, in one transaction when the store can (group commit under load)."""
    return [intake.claim for intake in intake_all(store, requests)]


def intake_all(store: InboundStore, requests: Sequence[ClaimRequest]) -> list[Intake]:
    """Claim several messages and count their senders' recent ones, in one transaction when the store can."""
    many = getattr(store, "intake_many", None)
    if many is not None:
        return list(many(requests))
    intakes = []
    for request in requests:
        claim = store.claim(request.channel, request.provider_id, request.address, request.text, request.now)
        recent = 0
        if request.window is not None and claim in ANSWERING:
            recent = store.count_from(request.channel, request.address, request.now - request.window)
        intakes.append(Intake(claim, recent))
    return intakes


def count_all(store: InboundStore, queries: Sequence[tuple[str, str, dt.datetime]]) -> list[int]:
    """``count_from`` for several (channel, address, since), on one connection when the store can."""
    many = getattr(store, "count_many", None)
    if many is not None:
        return list(many(queries))
    return [store.count_from(*query) for query in queries]


def handled_all(store: InboundStore, messages: Sequence[tuple[str, str, dt.datetime]]) -> list[None]:
    """Mark several messages handled, in one transaction when the store can."""
    many = getattr(store, "handled_many", None)
    if many is not None:
        many(messages)
    else:
        for message in messages:
            store.handled(*message)
    return [None] * len(messages)


@dataclass
class _Held:
    address: str
    received_at: dt.datetime
    claimed_at: dt.datetime
    handled: bool = False


class MemoryInboundStore:
    """The in-process InboundStore (tests, embedded use); forgets on restart, so production uses the SQL one."""

    def __init__(self, capacity: int = 100_000, lease: dt.timedelta = CLAIM_LEASE) -> None:
        self._capacity = capacity
        self._lease = lease
        self._held: dict[tuple[str, str], _Held] = {}
        self._lock = threading.Lock()

    def claim(self, channel: str, provider_id: str, address: str, text: str, now: dt.datetime) -> Claim:
        key = (channel, provider_id)
        with self._lock:
            held = self._held.get(key)
            if held is None:
                if len(self._held) >= self._capacity:
                    # dicts keep insertion order: drop the oldest, a retry that late is not a retry any more
                    del self._held[next(iter(self._held))]
                self._held[key] = _Held(address, now, now)
                return "new"
            if held.handled:
                return "handled"
            if held.claimed_at <= now - self._lease:
                self._held[key] = dataclasses.replace(held, claimed_at=now)
                return "taken_over"
            return "in_flight"

    def handled(self, channel: str, provider_id: str, now: dt.datetime) -> None:
        with self._lock:
            held = self._held.get((channel, provider_id))
            if held is not None:
                held.handled = True

    def count_from(self, channel: str, address: str, since: dt.datetime) -> int:
        with self._lock:
            return sum(
                1
                for (c, _), held in self._held.items()
                if c == channel and held.address == address and held.received_at >= since
            )

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


class SqlInboundStore:
    """The InboundStore in the ``inbound_messages`` table: claims hold across instances and restarts."""

    def __init__(self, engine: Engine, lease: dt.timedelta = CLAIM_LEASE) -> None:
        self.engine = engine
        self.lease = lease
        # Built once (SQLAlchemy then reuses their compiled forms); values come as parameters.
        # (Parameter names differ from column names: UPDATE reserves those for its SET clause.)
        this = (
            INBOUND.c.channel == bindparam("b_channel"),
            INBOUND.c.provider_id == bindparam("b_provider_id"),
        )
        # ON CONFLICT DO NOTHING: of two concurrent deliveries exactly one inserts, without an error for the other.
        # Executed with many rows it is one INSERT for a whole batch; RETURNING names the rows it inserted.
        # On PostgreSQL the rows go as arrays (ledger.array_rows): one statement text for any batch.
        dialect = engine.dialect.name
        self._claims = ArrayRows.of(dialect, INBOUND, _CLAIM_COLUMNS)
        insert = (
            dialect_insert(engine, INBOUND) if self._claims.rows is None else self._claims.insert(INBOUND)
        )
        self._insert = insert.on_conflict_do_nothing(index_elements=["channel", "provider_id"]).returning(
            INBOUND.c.channel, INBOUND.c.provider_id
        )
        # Taking over a lapsed claim is one conditional UPDATE: of two retries racing for it, one wins.
        self._take_over = (
            update(INBOUND)
            .where(
                *this,
                INBOUND.c.handled_at.is_(None),
                or_(INBOUND.c.claimed_at.is_(None), INBOUND.c.claimed_at <= bindparam("lapsed")),
            )
            .values(claimed_at=bindparam("b_now"))
            .returning(INBOUND.c.id)
        )
        self._handled_at = select(INBOUND.c.handled_at).where(*this)
        self._handled = ArrayRows(
            dialect, [("b_channel", String()), ("b_provider_id", String()), ("b_now", UTCDateTime())]
        )
        if self._handled.rows is None:
            self._handle = update(INBOUND).where(*this).values(handled_at=bindparam("b_now"))
        else:  # one UPDATE ... FROM the arrays
            marks = self._handled.rows.c
            self._handle = (
                update(INBOUND)
                .where(INBOUND.c.channel == marks.b_channel, INBOUND.c.provider_id == marks.b_provider_id)
                .values(handled_at=marks.b_now)
            )
        self._count = select(func.count()).where(
            INBOUND.c.channel == bindparam("channel"),
            INBOUND.c.address == bindparam("address"),
            INBOUND.c.received_at >= bindparam("since"),
        )
        self._count_by_address = _count_by_address(engine.dialect.name)

    def claim(self, channel: str, provider_id: str, address: str, text: str, now: dt.datetime) -> Claim:
        return self.claim_many([ClaimRequest(channel, provider_id, address, text, now)])[0]

    def claim_many(self, requests: Sequence[ClaimRequest]) -> list[Claim]:
        """Claim several messages in one transaction (see ``claim``): one commit for all."""
        return [intake.claim for intake in self.intake_many(requests)]

    def intake_many(self, requests: Sequence[ClaimRequest]) -> list[Intake]:
        """Claim several messages and count their senders' recent ones, in one transaction."""
        with self.engine.begin() as conn:
            return self.intake_on(conn, requests)

    def intake_on(self, conn: Connection, requests: Sequence[ClaimRequest]) -> list[Intake]:
        """``intake_many`` in the caller's transaction: new messages in one INSERT, the others one by one.

        A message delivered twice within the batch is claimed by its first delivery; the second waits for
        it (or is a duplicate when it was handled already). Rows go in key order, so two instances inserting
        the same messages take their index locks in the same order (no deadlock on PostgreSQL).
        """
        return self.intake_sent(self.send_intake_on(conn, requests), conn)

    def send_intake_on(self, conn: Connection, requests: Sequence[ClaimRequest]) -> SentIntake:
        """Insert the new messages and count every sender's, their rows read later (``intake_sent``).

        In a pipeline (``ledger.pipeline``) both go with the rest of the transaction, in one round trip.
        The senders of all the requests asked with a window are counted, answering or not (which of them
        answer is known only from the INSERT's rows); the window ends at the batch's latest message.
        """
        first: dict[tuple[str, str], int] = {}
        for index, request in enumerate(requests):
            first.setdefault((request.channel, request.provider_id), index)
        rows = [self._row(requests[index]) for _, index in sorted(first.items())]
        inserted = read_later(conn, self._insert, self._claims.params(rows)) if rows else None
        wanted: dict[tuple[str, dt.timedelta], list[int]] = {}
        for index, request in enumerate(requests):
            if request.window is not None:
                wanted.setdefault((request.channel, request.window), []).append(index)
        counts = []
        for (channel, window), indexes in wanted.items():
            params = {
                "channel": channel,
                "addresses": sorted({requests[i].address for i in indexes}),
                "since": max(requests[i].now for i in indexes) - window,
            }
            counts.append((indexes, read_later(conn, self._count_by_address, params)))
        return SentIntake(list(requests), first, inserted, counts)

    def intake_sent(self, sent: SentIntake, conn: Connection | None = None) -> list[Intake]:
        """The intakes of ``send_intake_on``'s requests, once its rows are in.

        A message that was there already is settled on ``conn`` (the same transaction), or without it in
        a transaction of its own: taking a lapsed claim over is one conditional UPDATE either way.
        """
        requests, first = sent.requests, sent.first
        inserted = {(c, p) for c, p in sent.inserted.all()} if sent.inserted is not None else set()
        recent = [0] * len(requests)
        for indexes, rows in sent.counts:
            counts = {address: int(n) for address, n in rows.all()}
            for index in indexes:
                recent[index] = counts.get(requests[index].address, 0)
        claims: list[Claim] = []
        for index, request in enumerate(requests):
            key = (request.channel, request.provider_id)
            if first[key] != index:
                claims.append("handled" if claims[first[key]] == "handled" else "in_flight")
            elif key in inserted:
                claims.append("new")
            elif conn is not None:
                claims.append(self._claim_existing(conn, request))
            else:
                with self.engine.begin() as own:
                    claims.append(self._claim_existing(own, request))
        return [
            Intake(claim, recent[index] if claim in ANSWERING else 0) for index, claim in enumerate(claims)
        ]

    @staticmethod
    def _row(request: ClaimRequest) -> dict[str, object]:
        # The address stays as given (the reply goes there); the text needs no personal data to serve
        # as a record, so ID and mobile numbers in it are masked.
        return {
            "channel": request.channel,
            "provider_id": request.provider_id,
            "address": request.address,
            "text": mask_personal_data(request.text),
            "received_at": request.now,
            "claimed_at": request.now,
        }

    def _claim_existing(self, conn: Connection, request: ClaimRequest) -> Claim:
        key = {"b_channel": request.channel, "b_provider_id": request.provider_id}
        lapsed = request.now - self.lease
        if conn.execute(self._take_over, {**key, "b_now": request.now, "lapsed": lapsed}).first():
            return "taken_over"
        handled_at = conn.execute(self._handled_at, key).scalar()
        return "handled" if handled_at is not None else "in_flight"

    def handled(self, channel: str, provider_id: str, now: dt.datetime) -> None:
        self.handled_many([(channel, provider_id, now)])

    def handled_many(self, messages: Sequence[tuple[str, str, dt.datetime]]) -> None:
        """Mark several messages handled in one transaction: (channel, provider id, when)."""
        with self.engine.begin() as conn:
            self.handled_on(conn, messages)

    def handled_on(self, conn: Connection, messages: Sequence[tuple[str, str, dt.datetime]]) -> None:
        """``handled_many`` in the caller's transaction: one UPDATE by key per message, in key order."""
        if messages:
            params = [{"b_channel": c, "b_provider_id": p, "b_now": now} for c, p, now in sorted(messages)]
            conn.execute(self._handle, self._handled.params(params))

    def count_from(self, channel: str, address: str, since: dt.datetime) -> int:
        return self.count_many([(channel, address, since)])[0]

    def count_many(self, queries: Sequence[tuple[str, str, dt.datetime]]) -> list[int]:
        """``count_from`` for several (channel, address, since) on one connection."""
        with self.engine.connect() as conn:
            return [
                int(conn.execute(self._count, {"channel": c, "address": a, "since": since}).scalar_one())
                for c, a, since in queries
            ]


def _count_by_address(dialect: str) -> Any:
    """Count each address's messages on a channel since a time, each in the (channel, address, time) index.

    SQLite walks the index once per address of an IN list. PostgreSQL, while its statistics are young (a
    new deployment), may read every message of the hour and filter the addresses instead; a count per
    address of an array leaves it no such choice.
    """
    recent = (
        INBOUND.c.channel == bindparam("channel"),
        INBOUND.c.received_at >= bindparam("since"),
    )
    if dialect != "postgresql":
        return (
            select(INBOUND.c.address, func.count())
            .where(*recent, INBOUND.c.address.in_(bindparam("addresses", expanding=True)))
            .group_by(INBOUND.c.address)
        )
    addresses = bindparam("addresses", type_=postgresql.ARRAY(String))
    asked = func.unnest(addresses).table_valued("address").render_derived(name="asked")
    count = select(func.count()).where(*recent, INBOUND.c.address == asked.c.address).scalar_subquery()
    return select(asked.c.address, count)
