"""Where the ledger lives: the LedgerStore interface, an in-memory store (the test fake) and SQLAlchemy."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, Select, Table, bindparam, delete, func, insert, select, update

from bot.kernel.clock import Clock, SystemClock
from bot.kernel.personal_data import mask_id, mask_ids_in_text, normalize_id, normalize_phone
from knowledge.status import TraineeRecord
from ledger.crypto import IdVault
from ledger.db import dialect_insert
from ledger.models import FIRST_CAMPAIGN, BindFailure, Binding, Conversation, Message, Trainee, TraineePost

# What staff review as "not answered": messages not understood, and questions the notice does not answer.
UNANSWERED_INTENTS = ("nlu_fallback", "ask_not_in_notice")
DIRECTIONS = ("in", "out")


@dataclass(frozen=True)
class LoggedMessage:
    """A message as the log keeps it (ID numbers masked)."""

    channel: str
    address: str
    direction: str
    text: str
    intent: str | None
    at: dt.datetime


class LedgerStore(Protocol):
    """What the bot needs from the ledger: records, chat bindings, bind failures, the message log."""

    def get(self, trainee_id: int) -> TraineeRecord | None: ...
    def find_by_id_number(self, id_number: str) -> TraineeRecord | None: ...
    def find_by_phone(self, phone: str) -> TraineeRecord | None: ...
    def binding(self, channel: str, address: str) -> int | None: ...
    def bind(self, channel: str, address: str, trainee_id: int) -> None: ...
    def unbind(self, channel: str, address: str) -> bool: ...
    def add_bind_failure(self, channel: str, address: str, at: dt.datetime) -> None: ...
    def bind_failures_since(self, channel: str, address: str, since: dt.datetime) -> int: ...
    def set_opted_out(self, trainee_id: int, opted_out: bool) -> None: ...
    def log_message(
        self, channel: str, address: str, direction: str, text: str, intent: str | None, at: dt.datetime
    ) -> None: ...
    def unanswered(self, limit: int) -> list[LoggedMessage]: ...
    def records(self) -> Iterator[TraineeRecord]: ...


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"message direction must be 'in' or 'out', not {direction!r}")


def _check_aware(at: dt.datetime) -> None:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at.isoformat()}; pass a timezone-aware one")


class MemoryLedgerStore:
    """The ledger in memory: for tests and for running without a database."""

    def __init__(self) -> None:
        self._records: dict[int, TraineeRecord] = {}
        self._by_id_number: dict[str, int] = {}
        self._bindings: dict[tuple[str, str], int] = {}
        self._failures: list[tuple[str, str, dt.datetime]] = []
        self._messages: list[LoggedMessage] = []
        self._ids = itertools.count(1)

    def add(self, id_number: str, record: TraineeRecord) -> TraineeRecord:
        """Store a trainee under ``id_number``; return the record with its new id and masked ID."""
        stored = dataclasses.replace(record, trainee_id=next(self._ids), id_masked=mask_id(id_number))
        self._records[stored.trainee_id] = stored
        self._by_id_number[normalize_id(id_number)] = stored.trainee_id
        return stored

    def get(self, trainee_id: int) -> TraineeRecord | None:
        return self._records.get(trainee_id)

    def find_by_id_number(self, id_number: str) -> TraineeRecord | None:
        trainee_id = self._by_id_number.get(normalize_id(id_number))
        return None if trainee_id is None else self._records[trainee_id]

    def find_by_phone(self, phone: str) -> TraineeRecord | None:
        wanted = normalize_phone(phone)
        return next((r for r in self.records() if r.phone and normalize_phone(r.phone) == wanted), None)

    def binding(self, channel: str, address: str) -> int | None:
        return self._bindings.get((channel, address))

    def bind(self, channel: str, address: str, trainee_id: int) -> None:
        if trainee_id not in self._records:
            raise KeyError(f"no trainee with id {trainee_id}")
        self._bindings[(channel, address)] = trainee_id

    def unbind(self, channel: str, address: str) -> bool:
        return self._bindings.pop((channel, address), None) is not None

    def add_bind_failure(self, channel: str, address: str, at: dt.datetime) -> None:
        _check_aware(at)
        self._failures.append((channel, address, at))

    def bind_failures_since(self, channel: str, address: str, since: dt.datetime) -> int:
        return sum(1 for c, a, at in self._failures if (c, a) == (channel, address) and at >= since)

    def set_opted_out(self, trainee_id: int, opted_out: bool) -> None:
        record = self._records.get(trainee_id)
        if record is not None:
            self._records[trainee_id] = dataclasses.replace(record, opted_out=opted_out)

    def log_message(
        self, channel: str, address: str, direction: str, text: str, intent: str | None, at: dt.datetime
    ) -> None:
        _check_direction(direction)
        _check_aware(at)
        self._messages.append(LoggedMessage(channel, address, direction, mask_ids_in_text(text), intent, at))

    def unanswered(self, limit: int) -> list[LoggedMessage]:
        found = [m for m in self._messages if m.intent in UNANSWERED_INTENTS and m.direction == "in"]
        return sorted(found, key=lambda m: m.at, reverse=True)[:limit]

    def records(self) -> Iterator[TraineeRecord]:
        return iter(sorted(self._records.values(), key=lambda r: r.trainee_id))


TRAINEES: Table = Trainee.__table__  # type: ignore[assignment]
POSTS: Table = TraineePost.__table__  # type: ignore[assignment]
BINDINGS: Table = Binding.__table__  # type: ignore[assignment]
FAILURES: Table = BindFailure.__table__  # type: ignore[assignment]
CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
MESSAGES: Table = Message.__table__  # type: ignore[assignment]


def _binding_query() -> Select[int]:
    """The trainee of this campaign bound to a (channel, address): built once, since every personal question
    asks it (new aliases each time cost more than the query)."""
    bound, current = TRAINEES.alias("bound"), TRAINEES.alias("current")
    return (
        select(current.c.id)
        .join(bound, bound.c.id == BINDINGS.c.trainee_id)
        .join(current, current.c.id_hash == bound.c.id_hash)
        .where(
            BINDINGS.c.channel == bindparam("channel"),
            BINDINGS.c.address == bindparam("address"),
            current.c.campaign == bindparam("campaign"),
        )
    )


_BINDING_QUERY = _binding_query()

RECORD_COLUMNS = (
    TRAINEES.c.id,
    TRAINEES.c.name,
    TRAINEES.c.id_masked,
    TRAINEES.c.phone,
    TRAINEES.c.employer,
    TRAINEES.c.registered,
    TRAINEES.c.confirmed,
    TRAINEES.c.confirmed_on,
    TRAINEES.c.paid,
    TRAINEES.c.online_hours,
    TRAINEES.c.offline_hours,
    TRAINEES.c.audited,
    TRAINEES.c.opted_out,
)


def record_from_row(row: Any, posts: tuple[str, ...]) -> TraineeRecord:
    """Build a TraineeRecord from a row selected with ``RECORD_COLUMNS`` (in that order, first)."""
    (
        tid,
        name,
        masked,
        phone,
        employer,
        registered,
        confirmed,
        confirmed_on,
        paid,
        online,
        offline,
        audited,
        out,
    ) = row[:13]
    return TraineeRecord(
        tid, name, masked, phone, posts, employer, bool(registered), bool(confirmed), confirmed_on,
        bool(paid), float(online), float(offline), bool(audited), bool(out),
    )  # fmt: skip


class SQLAlchemyLedgerStore:
    """One campaign year's ledger in a SQL database (SQLite or PostgreSQL), through SQLAlchemy Core statements.

    Records are looked up in ``campaign`` only; a chat bound in an earlier year follows its trainee into
    this year's record.
    """

    def __init__(
        self, engine: Engine, vault: IdVault, clock: Clock | None = None, campaign: str = FIRST_CAMPAIGN
    ) -> None:
        self._engine = engine
        self._vault = vault
        # Only timestamps (stored in UTC) come from this clock, so a bare store needs no time zone.
        self._clock = clock or SystemClock(dt.UTC)
        self._campaign = campaign

    def add(self, id_number: str, record: TraineeRecord) -> TraineeRecord:
        """Store a trainee under ``id_number``; return the record with its new id and masked ID."""
        now = self._clock.now()
        values = {
            f.name: getattr(record, f.name)
            for f in dataclasses.fields(record)
            if f.name not in ("trainee_id", "id_masked", "posts")
        }
        with self._engine.begin() as conn:
            trainee_id = conn.execute(
                insert(TRAINEES)
                .values(
                    **values,
                    campaign=self._campaign,
                    id_hash=self._vault.lookup_hash(id_number),
                    id_cipher=self._vault.encrypt(id_number),
                    id_masked=mask_id(id_number),
                    created_at=now,
                    updated_at=now,
                )
                .returning(TRAINEES.c.id)
            ).scalar_one()
            if record.posts:
                posts = enumerate(record.posts)
                conn.execute(
                    insert(POSTS), [{"trainee_id": trainee_id, "post": p, "position": i} for i, p in posts]
                )
        stored = self.get(trainee_id)
        if stored is None:
            raise RuntimeError(f"trainee {trainee_id} vanished right after it was stored")
        return stored

    def get(self, trainee_id: int) -> TraineeRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(*RECORD_COLUMNS).where(TRAINEES.c.id == trainee_id)).first()
            if row is None:
                return None
            posts = conn.execute(
                select(POSTS.c.post).where(POSTS.c.trainee_id == trainee_id).order_by(POSTS.c.position)
            ).scalars()
            return record_from_row(row, tuple(posts))

    def find_by_id_number(self, id_number: str) -> TraineeRecord | None:
        with self._engine.connect() as conn:
            trainee_id = conn.execute(
                select(TRAINEES.c.id).where(
                    TRAINEES.c.campaign == self._campaign,
                    TRAINEES.c.id_hash == self._vault.lookup_hash(id_number),
                )
            ).scalar()
        return None if trainee_id is None else self.get(trainee_id)

    def find_by_phone(self, phone: str) -> TraineeRecord | None:
        """The first trainee (lowest id) with this mobile number."""
        with self._engine.connect() as conn:
            trainee_id = conn.execute(
                select(TRAINEES.c.id)
                .where(TRAINEES.c.campaign == self._campaign, TRAINEES.c.phone == normalize_phone(phone))
                .order_by(TRAINEES.c.id)
                .limit(1)
            ).scalar()
        return None if trainee_id is None else self.get(trainee_id)

    def binding(self, channel: str, address: str) -> int | None:
        """The bound trainee's record in this campaign (the same person, found by ID hash), if any."""
        values = {"channel": channel, "address": address, "campaign": self._campaign}
        with self._engine.connect() as conn:
            return conn.execute(_BINDING_QUERY, values).scalar()

    def bind(self, channel: str, address: str, trainee_id: int) -> None:
        stmt = dialect_insert(self._engine, BINDINGS).values(
            channel=channel, address=address, trainee_id=trainee_id, created_at=self._clock.now()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[BINDINGS.c.channel, BINDINGS.c.address],
            set_={"trainee_id": stmt.excluded.trainee_id, "created_at": stmt.excluded.created_at},
        )
        with self._engine.begin() as conn:
            conn.execute(stmt)

    def unbind(self, channel: str, address: str) -> bool:
        with self._engine.begin() as conn:
            result = conn.execute(
                delete(BINDINGS).where(BINDINGS.c.channel == channel, BINDINGS.c.address == address)
            )
            return result.rowcount > 0

    def add_bind_failure(self, channel: str, address: str, at: dt.datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(FAILURES).values(channel=channel, address=address, at=at))

    def bind_failures_since(self, channel: str, address: str, since: dt.datetime) -> int:
        with self._engine.connect() as conn:
            return conn.execute(
                select(func.count()).where(
                    FAILURES.c.channel == channel, FAILURES.c.address == address, FAILURES.c.at >= since
                )
            ).scalar_one()

    def set_opted_out(self, trainee_id: int, opted_out: bool) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(TRAINEES)
                .where(TRAINEES.c.id == trainee_id)
                .values(opted_out=opted_out, updated_at=self._clock.now())
            )

    def log_message(
        self, channel: str, address: str, direction: str, text: str, intent: str | None, at: dt.datetime
    ) -> None:
        _check_direction(direction)
        with self._engine.begin() as conn:
            conn.execute(
                dialect_insert(self._engine, CONVERSATIONS)
                .values(channel=channel, address=address, created_at=at)
                .on_conflict_do_nothing(index_elements=[CONVERSATIONS.c.channel, CONVERSATIONS.c.address])
            )
            conversation_id = conn.execute(
                select(CONVERSATIONS.c.id).where(
                    CONVERSATIONS.c.channel == channel, CONVERSATIONS.c.address == address
                )
            ).scalar_one()
            conn.execute(
                insert(MESSAGES).values(
                    conversation_id=conversation_id,
                    direction=direction,
                    text=mask_ids_in_text(text),
                    intent=intent,
                    at=at,
                )
            )

    def unanswered(self, limit: int) -> list[LoggedMessage]:
        query = (
            select(
                CONVERSATIONS.c.channel,
                CONVERSATIONS.c.address,
                MESSAGES.c.direction,
                MESSAGES.c.text,
                MESSAGES.c.intent,
                MESSAGES.c.at,
            )
            .join(CONVERSATIONS, CONVERSATIONS.c.id == MESSAGES.c.conversation_id)
            .where(MESSAGES.c.intent.in_(UNANSWERED_INTENTS), MESSAGES.c.direction == "in")
            .order_by(MESSAGES.c.at.desc(), MESSAGES.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [LoggedMessage(*row) for row in conn.execute(query)]

    def records(self) -> Iterator[TraineeRecord]:
        with self._engine.connect() as conn:
            posts: dict[int, list[str]] = {}
            for trainee_id, post in conn.execute(
                select(POSTS.c.trainee_id, POSTS.c.post)
                .join(TRAINEES, TRAINEES.c.id == POSTS.c.trainee_id)
                .where(TRAINEES.c.campaign == self._campaign)
                .order_by(POSTS.c.trainee_id, POSTS.c.position)
            ):
                posts.setdefault(trainee_id, []).append(post)
            rows = conn.execute(
                select(*RECORD_COLUMNS).where(TRAINEES.c.campaign == self._campaign).order_by(TRAINEES.c.id)
            ).all()
        for row in rows:
            yield record_from_row(row, tuple(posts.get(row.id, ())))
