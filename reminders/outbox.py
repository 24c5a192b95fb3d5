"""The outbox in SQL: enqueue without duplicates, claim due rows safely, record outcomes, recover.

Two clocks on purpose: business time (``send_at``, ``sent_at``, quiet hours) comes from the injected Clock
so ``--now`` runs behave as at that moment; liveness (``claimed_at``, lease expiry) uses the wall clock,
because it is about this process being alive, not about the campaign's calendar.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, Table, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ledger.db import dialect_insert
from ledger.models import Trainee
from reminders.models import DispatcherLease, OutboxMessage, ReminderKey
from reminders.policy import Reminder

log = logging.getLogger(__name__)

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
KEYS: Table = ReminderKey.__table__  # type: ignore[assignment]
LEASES: Table = DispatcherLease.__table__  # type: ignore[assignment]
TRAINEES: Table = Trainee.__table__  # type: ignore[assignment]

LEASE_NAME = "dispatcher"
# The kind of an answer to a message just received: sent at once, also in quiet hours and after an opt-out.
REPLY_KIND = "reply"
_CHUNK = 5000


class DispatcherBusyError(Exception):
    """Another dispatcher holds the SQLite outbox; only one may run there."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row claimed for sending: marked ``sending`` and committed before the gateway is called."""

    id: int
    trainee_id: int | None
    channel: str
    address: str
    text: str
    attempts: int
    kinds: str = ""

    @property
    def is_reply(self) -> bool:
        """An answer to a message the person just sent, not a reminder."""
        return self.kinds == REPLY_KIND


def wall_now() -> dt.datetime:
    """The real time, for liveness only (claims and leases)."""
    return dt.datetime.now(dt.UTC)


def new_owner() -> str:
    """A dispatcher's identity: host, pid and a random suffix, so a dead local owner can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_is_dead(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class SqlOutbox:
    """The outbox table behind SQLAlchemy Core statements, on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    # Enqueueing

    def enqueue(self, reminders: Sequence[Reminder], now: dt.datetime) -> int:
        """Insert reminders, ignoring any whose idempotency key is taken; mark their reminder keys used."""
        inserted = 0
        with self.engine.begin() as conn:
            for start in range(0, len(reminders), _CHUNK):
                chunk = reminders[start : start + _CHUNK]
                stmt = (
                    dialect_insert(self.dialect, OUTBOX)
                    .on_conflict_do_nothing(index_elements=["idempotency_key"])
                    .returning(OUTBOX.c.id, OUTBOX.c.idempotency_key)
                )
                rows = conn.execute(stmt, [_outbox_row(r, now) for r in chunk]).all()
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
        self, idempotency_key: str, channel: str, address: str, text: str, now: dt.datetime
    ) -> bool:
        """Queue an answer due at once; False when ``idempotency_key`` is already in the outbox."""
        row = {
            "idempotency_key": idempotency_key,
            "trainee_id": None,
            "channel": channel,
            "address": address,
            "text": text,
            "kinds": REPLY_KIND,
            "send_at": now,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        stmt = (
            dialect_insert(self.dialect, OUTBOX)
            .values(row)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(OUTBOX.c.id)
        )
        with self.engine.begin() as conn:
            return conn.execute(stmt).first() is not None

    def has_key(self, idempotency_key: str) -> bool:
        """Tell whether a message under ``idempotency_key`` is in the outbox, whatever its status."""
        query = select(OUTBOX.c.id).where(OUTBOX.c.idempotency_key == idempotency_key)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

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

    def claim(self, owner: str, now: dt.datetime, limit: int, *, replies_only: bool = False) -> list[Claimed]:
        """Mark up to ``limit`` due rows ``sending`` for ``owner`` and commit; skip rows others hold.

        Rows of trainees who opted out are left alone, except replies: the person has just asked.
        """
        opted_out = exists().where(TRAINEES.c.id == OUTBOX.c.trainee_id, TRAINEES.c.opted_out.is_(True))
        is_reply = OUTBOX.c.kinds == REPLY_KIND
        due = (
            select(OUTBOX.c.id)
            .where(
                OUTBOX.c.status == "queued",
                OUTBOX.c.next_attempt_at <= now,
                is_reply if replies_only else or_(is_reply, ~opted_out),
            )
            .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one dispatcher (lease)
        )
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(due.scalar_subquery()))
            .values(status="sending", claimed_by=owner, claimed_at=wall_now(), attempts=OUTBOX.c.attempts + 1)
            .returning(
                OUTBOX.c.id,
                OUTBOX.c.trainee_id,
                OUTBOX.c.channel,
                OUTBOX.c.address,
                OUTBOX.c.text,
                OUTBOX.c.attempts,
                OUTBOX.c.kinds,
            )
        )
        with self.engine.begin() as conn:
            rows = conn.execute(stmt).all()
        return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)

    def mark_sent(self, owner: str, row_id: int, at: dt.datetime, provider_id: str | None) -> None:
        """Record a send the gateway accepted."""
        self._finish(owner, row_id, status="sent", sent_at=at, provider_id=provider_id, last_error=None)

    def mark_failed(self, owner: str, row_id: int, status: str, error: str) -> None:
        """Record a final failure: ``failed`` (refused) or ``parked`` (retries exhausted)."""
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
        # The owner guard: a row requeued as stale and claimed by someone else is no longer ours to record.
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

    # Recovery and leases

    def requeue_sending(self, *, older_than: dt.timedelta | None = None) -> int:
        """Put rows left in ``sending`` by a dead dispatcher back in the queue; return how many."""
        condition = OUTBOX.c.status == "sending"
        if older_than is not None:
            condition = and_(condition, OUTBOX.c.claimed_at < wall_now() - older_than)
        stmt = update(OUTBOX).where(condition).values(status="queued", claimed_by=None)
        with self.engine.begin() as conn:
            count = conn.execute(stmt).rowcount
        if count:
            log.warning("requeued %d message(s) left in sending by a dispatcher that stopped", count)
        return count

    def acquire_lease(self, owner: str, ttl: dt.timedelta) -> None:
        """Take or renew the single-dispatcher lease; raise DispatcherBusyError while another holds it."""
        now = wall_now()
        with self.engine.begin() as conn:
            row = conn.execute(select(LEASES).where(LEASES.c.name == LEASE_NAME)).first()
            if row is None:
                try:
                    conn.execute(insert(LEASES).values(name=LEASE_NAME, owner=owner, expires_at=now + ttl))
                    return
                except IntegrityError as exc:
                    raise DispatcherBusyError(_busy_message("another dispatcher", now)) from exc
            if row.owner != owner and row.expires_at > now and not _owner_is_dead(row.owner):
                raise DispatcherBusyError(_busy_message(row.owner, row.expires_at))
            taken = conn.execute(
                update(LEASES)
                .where(LEASES.c.name == LEASE_NAME, LEASES.c.owner == row.owner)
                .values(owner=owner, expires_at=now + ttl)
            ).rowcount
        if not taken:
            raise DispatcherBusyError(_busy_message("another dispatcher", now))

    def release_lease(self, owner: str) -> None:
        """Give the lease up (a clean stop)."""
        with self.engine.begin() as conn:
            conn.execute(delete(LEASES).where(LEASES.c.name == LEASE_NAME, LEASES.c.owner == owner))

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


def _busy_message(owner: str, until: dt.datetime) -> str:
    return (
        f"{owner} is dispatching from this SQLite database (lease until {until.isoformat()}); "
        "SQLite allows one dispatcher: stop the other `jxjy serve`/`jxjy reminders run`, or use PostgreSQL"
    )


def _outbox_row(reminder: Reminder, now: dt.datetime) -> dict[str, object]:
    return {
        "idempotency_key": reminder.idempotency_key,
        "trainee_id": reminder.trainee_id,
        "channel": reminder.channel,
        "address": reminder.address,
        "text": reminder.text,
        "kinds": ",".join(reminder.kinds),
        "send_at": reminder.send_at,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": reminder.send_at,
        "created_at": now,
    }
