"""Group commit of what answering an inbound message writes: one transaction for every message finished together.

A message is claimed when it comes (``ledger.inbound``); once answered, its reply is queued in the outbox,
the message is marked handled, and the dialogue's held writes (its conversation state and the exchange log,
``bot.dialogue.held_writes``) are stored. Requests that reach the batcher while a transaction runs share the
next one, claims and writes alike (``GroupWork``): under load, 32 requests cost one transaction and one disk
flush, not 32 of each, nor one for their claims and another for their writes. A request awaits its commit
before the provider hears 200, so a 200 still means everything is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Union

from sqlalchemy import Connection, bindparam, delete

from bot.dialogue.held_writes import Journal
from ledger.channel_blocks import BLOCKS, ChannelBlocks, SqlChannelBlocks
from ledger.db import by_channel
from ledger.inbound import (
    ANSWERING,
    ClaimRequest,
    InboundStore,
    Intake,
    SqlInboundStore,
    handled_all,
    intake_all,
)
from ledger.pipeline import one_trip, pipelined
from reminders.handoff import ReplyHandoff
from reminders.outbox import ReplyRow, SqlOutbox
from reminders.passive import send_passive_replies_on


@dataclass(frozen=True, slots=True)
class Handled:
    """Mark a claimed message handled (answered, or stored only): a retry of it is a duplicate."""

    channel: str
    provider_id: str
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class Unblocked:
    """Lift a channel's block on an address: the person is writing to us again."""

    channel: str
    address: str


@dataclass(frozen=True, slots=True)
class Passive:
    """Log an answer given in the push's own HTTP response (WeChat's passive reply) as sent."""

    reply: ReplyRow


@dataclass(frozen=True, slots=True)
class Sent:
    """Record a send the dispatcher ``owner`` made (with the requests' writes, not a commit of its own)."""

    owner: str
    row_id: int
    at: dt.datetime
    provider_id: str | None


@dataclass(frozen=True, slots=True)
class Flush:
    """Nothing of its own: commit what the dialogue holds (after an answer given outside a channel)."""


FLUSH = Flush()


@dataclass(frozen=True, slots=True)
class Written:
    """A batch's writes sent in a transaction: call ``committed`` once it has, for their results, else ``failed``."""

    committed: Callable[[], list[bool]]
    failed: Callable[[], None]


# A reply's result says whether it was queued (a passive one: logged); False when its key was taken already.
# The others' are True.
Write = Union[ReplyRow, Passive, Handled, Unblocked, Sent, Flush]  # noqa: UP007 (a runtime alias for isinstance-free typing)


class GroupIntake:
    """Claim a batch of messages (and count their senders) in one transaction (the Batcher's batch function).

    In the same transaction it reads ahead the conversation states of the messages this instance will
    answer, so their brains find them in memory (``Journal.preload_on``).

    On PostgreSQL the claims commit without waiting for the disk: the request's 200 waits for the group
    commit that follows, whose flush of the write-ahead log covers every earlier commit, the claim's
    included. A claim lost in a crash before that was never answered 200 (the provider retries it), and
    other sessions see it as soon as it commits, so instances still never answer one message twice.
    """

    def __init__(self, inbound: InboundStore, journal: Journal | None = None) -> None:
        self.inbound = inbound
        self.journal = journal

    def __call__(self, requests: Sequence[ClaimRequest]) -> list[Intake]:
        store = self.inbound
        if not isinstance(store, SqlInboundStore):
            return intake_all(store, requests)
        chats = [(r.channel, r.address) for r in requests]
        now = max(r.now for r in requests)
        keep: list[tuple[str, str]] = []
        preloaded = None
        # On PostgreSQL the claims, the counts, the states read ahead and the commit go at once: one
        # round trip. Which messages this instance answers is known only after it, so the states of all
        # are read and those of the others dropped; a message that was there already is settled after.
        try:
            with one_trip(store.engine) as conn:
                if store.engine.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                sent = store.send_intake_on(conn, requests)
                if self.journal is not None:
                    preloaded = self.journal.send_preload_on(conn, chats, now)
            intakes = store.intake_sent(sent)
            keep = [chat for chat, i in zip(chats, intakes, strict=True) if i.claim in ANSWERING]
        finally:
            if preloaded is not None:
                preloaded(keep)
        return intakes

    def on(self, conn: Connection, requests: Sequence[ClaimRequest]) -> list[Intake]:
        """Claim ``requests`` in the caller's transaction on the SQL store's database."""
        store = self.inbound
        if not isinstance(store, SqlInboundStore):
            raise TypeError("GroupIntake.on needs an SqlInboundStore")
        intakes = store.intake_on(conn, requests)
        answering = [r for r, i in zip(requests, intakes, strict=True) if i.claim in ANSWERING]
        if self.journal is not None and answering:
            now = max(r.now for r in answering)
            self.journal.preload_on(conn, [(r.channel, r.address) for r in answering], now)
        return intakes


class GroupCommit:
    """Write a batch of ``Write``s in one transaction on the outbox's database (the Batcher's batch function).

    Stores kept in memory (tests, embedded use) are written after the transaction, in the same order.
    With a ``handoff`` (the running dispatcher's), replies are stored already claimed for it and handed
    over once committed (``reminders.handoff``).
    """

    def __init__(
        self,
        outbox: SqlOutbox,
        inbound: InboundStore,
        blocks: ChannelBlocks,
        journal: Journal | None = None,
        handoff: ReplyHandoff | None = None,
    ) -> None:
        self.outbox = outbox
        self.handoff = handoff
        self.inbound = inbound
        self.blocks = blocks
        self.journal = journal
        engine = outbox.engine
        self._sql_inbound = (
            inbound if isinstance(inbound, SqlInboundStore) and inbound.engine is engine else None
        )
        self._sql_blocks = isinstance(blocks, SqlChannelBlocks) and blocks.engine is engine
        self._unblock = delete(BLOCKS).where(
            BLOCKS.c.channel == bindparam("channel"),
            BLOCKS.c.address.in_(bindparam("addresses", expanding=True)),
        )

    def __call__(self, items: Sequence[Write]) -> list[bool]:
        written: Written | None = None
        try:
            with one_trip(self.outbox.engine) as conn:  # on PostgreSQL: the transaction in one round trip
                written = self.write_on(conn, items)
        except BaseException:
            if written is not None:
                written.failed()
            raise
        return written.committed()

    def write_on(self, conn: Connection, items: Sequence[Write]) -> Written:
        """Write ``items`` in the caller's transaction; once it has ended, tell the result how it went.

        Should ``write_on`` itself fail, what it took of the dialogue's held writes is held again.
        """
        replies = [item for item in items if isinstance(item, ReplyRow)]
        passive = [item.reply for item in items if isinstance(item, Passive)]
        handled = [(h.channel, h.provider_id, h.now) for h in items if isinstance(h, Handled)]
        unblocked = sorted({(u.channel, u.address) for u in items if isinstance(u, Unblocked)})
        sent: dict[str, list[tuple[int, dt.datetime, str | None]]] = {}
        for item in items:
            if isinstance(item, Sent):
                sent.setdefault(item.owner, []).append((item.row_id, item.at, item.provider_id))
        settle = None
        try:
            with pipelined(conn):  # on PostgreSQL one round trip for all (in ``one_trip``, with its commit)
                settle = self.journal.write(conn) if self.journal is not None else None
                if self._sql_blocks:
                    for channel, addresses in by_channel(unblocked).items():
                        conn.execute(self._unblock, {"channel": channel, "addresses": addresses})
                if self._sql_inbound is not None:
                    self._sql_inbound.handled_on(conn, handled)
                for sender, sends in sent.items():
                    self.outbox.mark_sent_many_on(conn, sender, sends)
                owner = self.handoff.owner_for_replies() if self.handoff is not None and replies else None
                sent_replies = self.outbox.send_claimed_replies_on(conn, replies, owner)
                sent_passive = send_passive_replies_on(conn, self.outbox, passive)
        except BaseException:
            if settle is not None:
                settle.failed()
            raise

        def committed() -> list[bool]:
            stored, claimed = sent_replies()
            queued, logged = iter(stored), iter(sent_passive())
            if self.handoff is not None and replies:
                self.handoff.replies_stored(owner, claimed, owner is None and any(stored))
            if settle is not None:
                settle()
            self._in_memory(unblocked, handled)
            return [
                next(queued)
                if isinstance(item, ReplyRow)
                else next(logged)
                if isinstance(item, Passive)
                else True
                for item in items
            ]

        return Written(committed, settle.failed if settle is not None else lambda: None)

    def _in_memory(
        self, unblocked: list[tuple[str, str]], handled: list[tuple[str, str, dt.datetime]]
    ) -> None:
        if not self._sql_blocks:
            for channel, address in unblocked:
                self.blocks.unblock(channel, address)
        if self._sql_inbound is None and handled:
            handled_all(self.inbound, handled)


class GroupWork:
    """Claims and writes that reach the service's one Batcher together: one transaction for all of them.

    Under load a message's claim and, after its answer, its writes each join the batch being formed, so a
    transaction carries the writes of the messages just answered and the claims of those just come: one
    commit per batch, not one for the claims and another for the writes. The writes go first, so a retry
    of a message marked handled in the same transaction is a duplicate. A batch of claims only commits as
    ``GroupIntake`` does (on PostgreSQL without waiting for the disk); one with writes waits for it, the
    claims included. Stores in memory, or on another database, get a transaction of their own.
    """

    def __init__(self, intake: GroupIntake, commit: GroupCommit) -> None:
        self.intake = intake
        self.commit = commit
        inbound = intake.inbound
        self._shared = isinstance(inbound, SqlInboundStore) and inbound.engine is commit.outbox.engine

    @property
    def claims_apart(self) -> bool:
        """Whether claims are better batched apart from the writes, in transactions running beside theirs.

        On PostgreSQL: a claim commits without waiting for the disk, but in a batch with writes it waits
        for their flush (about 4 ms on a plain disk) and for the batch before it; apart, it commits in a
        millisecond while the writes flush. A reply still commits after its message's claim, so the
        flush its 200 waits for covers the claim. SQLite has one writer: there, two batches running at
        once would only queue for its lock, and sharing one transaction saves a commit.
        """
        return self._shared and self.commit.outbox.engine.dialect.name == "postgresql"

    def __call__(self, items: Sequence[ClaimRequest | Write]) -> list[Intake | bool]:
        claims = [item for item in items if isinstance(item, ClaimRequest)]
        writes = [item for item in items if not isinstance(item, ClaimRequest)]
        if not writes:
            return list(self.intake(claims))
        if not claims:
            return list(self.commit(writes))
        if self._shared:
            sending: Written | None = None
            try:
                with self.commit.outbox.engine.begin() as conn:
                    sending = self.commit.write_on(conn, writes)
                    intakes = self.intake.on(conn, claims)
            except BaseException:
                if sending is not None:
                    sending.failed()
                raise
            written = sending.committed()
        else:
            written, intakes = self.commit(writes), self.intake(claims)
        claimed, wrote = iter(intakes), iter(written)
        return [next(claimed) if isinstance(item, ClaimRequest) else next(wrote) for item in items]

    def rehearse(self, items: Sequence[ClaimRequest | Write], connections: int = 1) -> None:
        """Run a batch of ``items`` in a transaction that is rolled back, before the service takes requests.

        The first requests then find every statement compiled and cached and a connection open, instead
        of paying for that in their latency. The dispatcher is handed nothing; the dialogue's writes held
        meanwhile go in the transaction and stay held: the caller drops them (``Journal.forget``). On
        PostgreSQL it does so on ``connections`` connections of the pool.
        """
        if not self._shared:
            return
        commit = self.commit
        dry = GroupCommit(commit.outbox, commit.inbound, commit.blocks, commit.journal)  # no handoff
        claims = [item for item in items if isinstance(item, ClaimRequest)]
        writes = [item for item in items if not isinstance(item, ClaimRequest)]
        engine = commit.outbox.engine
        # On PostgreSQL each connection is a server process of its own, whose first statements read the
        # catalog and plan from nothing: every connection a burst of requests uses at once rehearses.
        count = connections if engine.dialect.name == "postgresql" else 1
        with ExitStack() as held:  # held open together, so that the pool opens ``count`` of them
            for _ in range(count):
                conn = held.enter_context(engine.connect())
                transaction = conn.begin()
                written: Written | None = None
                try:
                    with pipelined(conn):  # as they go when serving: the rows of the reads read after
                        written = dry.write_on(conn, writes)
                        self.intake.on(conn, claims)
                finally:
                    transaction.rollback()
                    if written is not None:
                        written.failed()  # held again, for the caller to drop
