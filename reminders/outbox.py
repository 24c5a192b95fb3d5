"""The outbox in SQL: enqueue without duplicates, claim due rows safely, record outcomes, expire, recover.

Two clocks on purpose: business time (``send_at``, ``sent_at``, ``expires_at``, quiet hours) comes from the
injected Clock so ``--now`` runs behave as at that moment; ``claimed_at`` uses the wall clock, because it is
about processes being alive.

Every write is its own short transaction: a long one would hold SQLite's single write lock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, bindparam, func, or_, select, update

from ledger.array_rows import ArrayRows
from ledger.db import dialect_insert
from ledger.locks import live_owner_keys
from ledger.models import Trainee
from ledger.pipeline import read_later
from reminders.claiming import REPLY_KIND as REPLY_KIND
from reminders.claiming import claim_statement, mark_sent_statement
from reminders.models import OutboxMessage, ReminderKey
from reminders.outbox_rows import REPLY_TTL as REPLY_TTL
from reminders.outbox_rows import Claimed as Claimed
from reminders.outbox_rows import ReplyRow as ReplyRow
from reminders.outbox_rows import outbox_row, reply_row, wall_now
from reminders.ownership import owner_key
from reminders.policy import Reminder

log = logging.getLogger(__name__)

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
KEYS: Table = ReminderKey.__table__  # type: ignore[assignment]
TRAINEES: Table = Trainee.__table__  # type: ignore[assignment]

_CHUNK = 2000
REPLY_COLUMNS = (
    "idempotency_key", "trainee_id", "channel", "address", "text", "kinds", "send_at", "status", "attempts",
    "next_attempt_at", "created_at", "expires_at", "claimed_by", "claimed_at",
)  # fmt: skip
# The owner guard: a row requeued as orphaned and claimed by someone else is no longer ours to record.
_OWNED_ROW = and_(
    OUTBOX.c.id == bindparam("row_id"),
    OUTBOX.c.status == "sending",
    OUTBOX.c.claimed_by == bindparam("owner"),
)


class SqlOutbox:
    """The outbox table behind SQLAlchemy Core statements, on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # The statements run for every message, built once: building costs more than running them.
        # On PostgreSQL the replies go as arrays (ledger.array_rows): one statement text for any batch.
        self._replies = ArrayRows.of(self.dialect, OUTBOX, REPLY_COLUMNS)
        add_reply = (
            dialect_insert(self.dialect, OUTBOX).values({name: bindparam(name) for name in REPLY_COLUMNS})
            if self._replies.rows is None
            else self._replies.insert(OUTBOX)
        )
        self._add_reply = add_reply.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(
            OUTBOX.c.idempotency_key, OUTBOX.c.id
        )
        self._find_key = select(OUTBOX.c.id).where(OUTBOX.c.idempotency_key == bindparam("key"))
        self._claim = {replies_only: claim_statement(replies_only) for replies_only in (False, True)}
        self._sent, self._mark_sent = mark_sent_statement(self.dialect)

    # Enqueueing

    def enqueue(self, reminders: Sequence[Reminder], now: dt.datetime) -> int:
        """Insert reminders, ignoring any whose idempotency key is taken; mark their reminder keys used.

        One short transaction per chunk: a row and its keys commit together, and no writer waits long.
        """
        inserted = 0
        for start in range(0, len(reminders), _CHUNK):
            chunk = reminders[start : start + _CHUNK]
            with self.engine.begin() as conn:
                stmt = (
                    dialect_insert(self.dialect, OUTBOX)
                    .on_conflict_do_nothing(index_elements=["idempotency_key"])
                    .returning(OUTBOX.c.id, OUTBOX.c.idempotency_key)
                )
                rows = conn.execute(stmt, [outbox_row(r, now) for r in chunk]).all()
                ids = {key: row_id for row_id, key in rows}
                keys = [
                    {
                        "trainee_id": r.trainee_id,
                        "key": k,
                        "outbox_id": ids[r.idempotency_key],
                        "created_at": now,
                    }
                    for r in chunk
                    if r.idempotency_key in ids
                    for k in r.keys
                ]
                if keys:
                    conn.execute(dialect_insert(self.dialect, KEYS).on_conflict_do_nothing(), keys)
                inserted += len(ids)
        return inserted

    def enqueue_reply(
        self,
        idempotency_key: str,
        channel: str,
        address: str,
        text: str,
        now: dt.datetime,
        ttl: dt.timedelta = REPLY_TTL,
    ) -> bool:
        """Queue an answer due at once, good for ``ttl``; False when ``idempotency_key`` is already queued."""
        return self.enqueue_replies([ReplyRow(idempotency_key, channel, address, text, now, ttl)])[0]

    def enqueue_replies(self, replies: Sequence[ReplyRow]) -> list[bool]:
        """Queue several answers in one transaction; for each, False when its key was already queued."""
        with self.engine.begin() as conn:
            return self.enqueue_replies_on(conn, replies)

    def enqueue_replies_on(self, conn: Connection, replies: Sequence[ReplyRow]) -> list[bool]:
        """``enqueue_replies`` in the caller's transaction: one INSERT for all, in key order.

        A key given twice is queued by its first row only.
        """
        return self.enqueue_claimed_replies_on(conn, replies, None)[0]

    def enqueue_claimed_replies_on(
        self, conn: Connection, replies: Sequence[ReplyRow], owner: str | None
    ) -> tuple[list[bool], list[Claimed]]:
        """Queue answers as ``enqueue_replies_on`` does, already claimed by dispatcher ``owner`` if given.

        A row inserted in ``sending`` for its dispatcher saves the claim that would read it back: the
        dispatcher gets the returned rows once this transaction commits. Should it die first, they are
        recovered as any row it left in ``sending`` (requeued and sent by the next one).
        """
        return self.send_claimed_replies_on(conn, replies, owner)()

    def send_claimed_replies_on(
        self, conn: Connection, replies: Sequence[ReplyRow], owner: str | None
    ) -> Callable[[], tuple[list[bool], list[Claimed]]]:
        """``enqueue_claimed_replies_on`` whose rows are read when the result is called (in a pipeline: after)."""
        first: dict[str, int] = {}
        for index, reply in enumerate(replies):
            first.setdefault(reply.idempotency_key, index)
        rows = [reply_row(replies[index], owner) for _, index in sorted(first.items())]
        sent = read_later(conn, self._add_reply, self._replies.params(rows)) if rows else None

        def stored() -> tuple[list[bool], list[Claimed]]:
            inserted = {key: row_id for key, row_id in sent.all()} if sent is not None else {}
            queued = [
                first[reply.idempotency_key] == index and reply.idempotency_key in inserted
                for index, reply in enumerate(replies)
            ]
            claimed = [] if owner is None else [
                Claimed(inserted[r["idempotency_key"]], None, r["channel"], r["address"], r["text"], 1,
                        REPLY_KIND, r["expires_at"])
                for r in rows if r["idempotency_key"] in inserted
            ]  # fmt: skip
            return queued, claimed

        return stored

    def has_key(self, idempotency_key: str) -> bool:
        """Tell whether a message under ``idempotency_key`` is in the outbox, whatever its status."""
        with self.engine.connect() as conn:
            return conn.execute(self._find_key, {"key": idempotency_key}).first() is not None

    def used_keys(self, keys: Iterable[str]) -> dict[int, set[str]]:
        """Map each trainee to the given keys already used for them (one set-based query)."""
        used: dict[int, set[str]] = {}
        query = select(KEYS.c.trainee_id, KEYS.c.key).where(KEYS.c.key.in_(list(keys)))
        with self.engine.connect() as conn:
            for trainee_id, key in conn.execute(query):
                used.setdefault(trainee_id, set()).add(key)
        return used

    # Claiming and recording

    def cancel_opted_out(self, now: dt.datetime) -> int:
        """Cancel queued rows of trainees who opted out, so nothing is sent to them (replies excepted)."""
        opted_out = select(TRAINEES.c.id).where(TRAINEES.c.opted_out.is_(True))
        stmt = (
            update(OUTBOX)
            .where(
                OUTBOX.c.status == "queued",
                OUTBOX.c.kinds != REPLY_KIND,
                OUTBOX.c.trainee_id.in_(opted_out),
            )
            .values(status="cancelled", last_error="opted out")
        )
        with self.engine.begin() as conn:
            return conn.execute(stmt).rowcount

    def expire_due(self, now: dt.datetime) -> int:
        """Mark queued rows whose time has passed ``expired``: they are never sent."""
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.status == "queued", OUTBOX.c.expires_at <= now)
            .values(status="expired", last_error="expired before it could be sent")
        )
        with self.engine.begin() as conn:
            count = conn.execute(stmt).rowcount
        if count:
            log.warning("%d message(s) expired before they could be sent", count)
        return count

    def claim(self, owner: str, now: dt.datetime, limit: int, *, replies_only: bool = False) -> list[Claimed]:
        """Mark up to ``limit`` due rows ``sending`` for ``owner`` and commit; skip rows others hold.

        Rows of trainees who opted out are left alone, except replies: the person has just asked.
        """
        params = {"now": now, "size": limit, "owner": owner, "claimed_at": wall_now()}
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Not waiting for the disk changes nothing a crash could do: a claim lost with the
                # database comes back queued, as a row left in sending is requeued; a send is recorded
                # by mark_sent, whose flush covers this commit too. Others see the claim at once.
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            rows = conn.execute(self._claim[replies_only], params).all()
        return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)

    def mark_sent(self, owner: str, row_id: int, at: dt.datetime, provider_id: str | None) -> None:
        """Record a send the gateway accepted."""
        self.mark_sent_many(owner, [(row_id, at, provider_id)])

    def mark_sent_many(self, owner: str, sends: Sequence[tuple[int, dt.datetime, str | None]]) -> None:
        """Record several accepted sends (row id, when, provider id) in one transaction."""
        with self.engine.begin() as conn:
            self.mark_sent_many_on(conn, owner, sends)

    def mark_sent_many_on(
        self, conn: Connection, owner: str, sends: Sequence[tuple[int, dt.datetime, str | None]]
    ) -> None:
        """``mark_sent_many`` in the caller's transaction."""
        rows = [{"row_id": i, "owner": owner, "at": at, "provider": p} for i, at, p in sorted(sends)]
        params = self._sent.params(rows)
        if isinstance(params, dict):  # the arrays: the owner is one parameter for every row
            params["owner"] = owner
        conn.execute(self._mark_sent, params)

    def mark_failed(self, owner: str, row_id: int, status: str, error: str) -> None:
        """Record a final outcome other than sent: ``failed`` (refused), ``parked`` (retries exhausted)
        or ``expired`` (too late to send)."""
        self._finish(owner, row_id, status=status, last_error=error)

    def retry_at(
        self, owner: str, row_id: int, at: dt.datetime, error: str | None, *, count: bool = True
    ) -> None:
        """Put a row back in the queue for ``at``; ``count=False`` gives the attempt back (rate limits)."""
        values: dict[str, object] = {"next_attempt_at": at, "last_error": error}
        if not count:
            values["attempts"] = OUTBOX.c.attempts - 1
        self._finish(owner, row_id, status="queued", **values)

    def _finish(self, owner: str, row_id: int, **values: object) -> None:
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id == row_id, OUTBOX.c.status == "sending", OUTBOX.c.claimed_by == owner)
            .values(claimed_by=None, **values)
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def sms_counts(self, addresses: Iterable[str], now: dt.datetime) -> dict[str, tuple[int, int]]:
        """Count sends per number in the last hour and the last day."""
        hour_ago, day_ago = now - dt.timedelta(hours=1), now - dt.timedelta(days=1)
        query = (
            select(
                OUTBOX.c.address,
                func.count().filter(OUTBOX.c.sent_at > hour_ago),
                func.count(),
            )
            .where(
                OUTBOX.c.channel == "sms",
                OUTBOX.c.address.in_(list(addresses)),
                OUTBOX.c.status == "sent",
                OUTBOX.c.sent_at > day_ago,
            )
            .group_by(OUTBOX.c.address)
        )
        with self.engine.connect() as conn:
            return {address: (hour, day) for address, hour, day in conn.execute(query)}

    # Recovery

    def requeue_sending(self) -> int:
        """Put every row in ``sending`` back in the queue: for SQLite's single dispatcher, holding its lock."""
        return self._requeue(OUTBOX.c.status == "sending")

    def requeue_orphans(self) -> int:
        """Put rows in ``sending`` back in the queue whose dispatcher's owner lock is gone (PostgreSQL).

        The owners are read before the live locks: a dispatcher takes its lock before it claims anything,
        so an owner with rows in ``sending`` whose lock is not held has died (or lost its session).
        """
        with self.engine.connect() as conn:
            sending = select(OUTBOX.c.claimed_by).where(OUTBOX.c.status == "sending").distinct()
            owners = {owner for (owner,) in conn.execute(sending) if owner is not None}
            if not owners:
                return 0
            live = live_owner_keys(conn)
        dead = [owner for owner in owners if owner_key(owner) not in live]
        if not dead:
            return 0
        return self._requeue(OUTBOX.c.status == "sending", OUTBOX.c.claimed_by.in_(dead))

    def _requeue(self, *conditions: object) -> int:
        stmt = update(OUTBOX).where(*conditions).values(status="queued", claimed_by=None)  # type: ignore[arg-type]
        with self.engine.begin() as conn:
            count = conn.execute(stmt).rowcount
        if count:
            log.warning("requeued %d message(s) left in sending by a dispatcher that stopped", count)
        return count

    # Reporting and receipts

    def counts(self) -> dict[str, int]:
        """Rows per status."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status))
            return {status: count for status, count in rows}

    def record_receipt(self, message_id: str, status: str, error: str | None = None) -> bool:
        """Store a delivery receipt (``delivered`` or ``failed``) for our message id; False if unknown.

        A receipt never moves a delivered message back: a late or repeated ``failed`` is ignored.
        """
        if not message_id.isdigit():
            return False
        return self._receipt(OUTBOX.c.id == int(message_id), status, error)

    def record_provider_receipt(
        self, channel: str, provider_id: str, status: str, error: str | None = None
    ) -> bool:
        """Store a receipt that names the provider's id (Tencent's SerialNo); False if unknown."""
        return self._receipt(
            and_(OUTBOX.c.channel == channel, OUTBOX.c.provider_id == provider_id), status, error
        )

    def _receipt(self, which: ColumnElement[bool], status: str, error: str | None) -> bool:
        if status not in ("delivered", "failed"):
            raise ValueError(f"receipt status {status!r} is not 'delivered' or 'failed'")
        values: dict[str, object] = {"receipt": status}
        if status == "failed" and error:
            values["last_error"] = f"receipt: {error}"[:500]
        not_delivered = or_(OUTBOX.c.receipt.is_(None), OUTBOX.c.receipt != "delivered")
        with self.engine.begin() as conn:
            if conn.execute(select(OUTBOX.c.id).where(which).limit(1)).first() is None:
                return False
            conn.execute(update(OUTBOX).where(which, not_delivered).values(**values))
        return True
