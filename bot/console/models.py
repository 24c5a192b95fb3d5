"""The console's tables: staff accounts, their sessions and login attempts, the audit log, taught NLU data,
the trained models every instance follows; and the indexes its trainee list and search read."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, UTCDateTime
from ledger.models import Trainee

SEARCHED = ("employer", "name", "phone", "id_masked")  # the columns the trainee search matches


class Staff(Base):
    """A staff account of the web console; the password is kept only as an argon2 hash."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StaffSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its hash."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """One sign-in attempt, kept to rate-limit guessing per account and per address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_login_attempts_name_at", "name", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )


class AuditEntry(Base):
    """Who did what in the console (or at the staff command line), and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    staff: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)


class TaughtExample(Base):
    """A message staff filed under an intent: merged into the NLU training data when the model loads."""

    __tablename__ = "taught_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(64), index=True)
    taught_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TaughtTopic(Base):
    """A new topic staff wrote an answer for; it answers only once another review approved it."""

    __tablename__ = "taught_topics"

    intent: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    full: Mapped[str] = mapped_column(Text)
    short: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, approved, rejected
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SharedModel(Base):
    """An NLU model trained after staff taught the bot; instances on the same database follow the newest.

    ``fingerprint`` is ``nlu.model.fingerprint`` of the training data; ``artefact`` the ``.npz`` file, kept
    for the newest few only, so an instance of the same code loads it instead of training again.
    """

    __tablename__ = "shared_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    artefact: Mapped[bytes | None] = mapped_column(LargeBinary)
    trained_by: Mapped[str] = mapped_column(String(128))
    trained_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# The trainee list pages in id order; the dashboard's cache asks when the ledger last changed.
Index("ix_trainees_campaign_id", Trainee.campaign, Trainee.id)
Index("ix_trainees_campaign_updated_at", Trainee.campaign, Trainee.updated_at)
# Substring search (LIKE '%…%') can use no B-tree. SQLite scans this narrow covering index instead of the
# wide rows (employer first: the list of employers groups along it). PostgreSQL looks names and employers up
# in a trigram index (pg_trgm; queries of 3+ characters); phone and ID digits, rarer searches, scan the table
# (a trigram index on them too would slow a 100,000-row import by a third).
Index("ix_trainees_search", Trainee.campaign, *(getattr(Trainee, c) for c in SEARCHED)).ddl_if(
    dialect="sqlite"
)
Index(
    "ix_trainees_search_trgm",
    Trainee.name,
    Trainee.employer,
    postgresql_using="gin",
    postgresql_ops={"name": "gin_trgm_ops", "employer": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")
