"""The ledger's tables: trainees and their posts, channel bindings, bind failures, conversations, messages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.db import Base, UTCDateTime

# The campaign every record belonged to before the ledger kept one per campaign year.
FIRST_CAMPAIGN = "yueyang-2023"


class Trainee(Base):
    """One trainee in one campaign year; the ID number is stored only encrypted, with a keyed hash for lookup
    and a masked form. The same person has a row per year, so next year's import keeps this year's history.
    """

    __tablename__ = "trainees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))  # the campaign file's id, e.g. yueyang-2023
    id_hash: Mapped[str] = mapped_column(String(64))
    id_cipher: Mapped[str] = mapped_column(Text)
    id_masked: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(11))
    employer: Mapped[str] = mapped_column(String(200), default="")
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    online_hours: Mapped[float] = mapped_column(Float, default=0.0)
    offline_hours: Mapped[float] = mapped_column(Float, default=0.0)
    audited: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    posts: Mapped[list[TraineePost]] = relationship(
        order_by="TraineePost.position", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (UniqueConstraint("campaign", "id_hash"),)


class TraineePost(Base):
    """One post (岗位) a trainee holds, in the order the ledger lists them."""

    __tablename__ = "trainee_posts"

    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainees.id", ondelete="CASCADE"), primary_key=True)
    post: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_trainee_posts_post", "post"),)


class DeferredIndex(Base):
    """An index a bulk write set aside on PostgreSQL, to build once at its end (dropped and recorded in one
    transaction, built and forgotten in one: a killed import leaves the record, and the next import or start
    builds the index)."""

    __tablename__ = "deferred_indexes"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(128))
    definition: Mapped[str] = mapped_column(Text)
    set_aside_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Binding(Base):
    """A chat address (Telegram chat, phone number, terminal user) linked to a trainee."""

    __tablename__ = "bindings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(128))
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainees.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("channel", "address"),)


class BindFailure(Base):
    """A failed binding attempt, kept to rate-limit guessing per chat address."""

    __tablename__ = "bind_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_bind_failures_channel_address_at", "channel", "address", "at"),)


class Conversation(Base):
    """One chat address on one channel; its messages hang off it."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("channel", "address"),)


class Message(Base):
    """A message in or out; its text is stored with any ID number masked."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(3))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        Index("ix_messages_intent_at", "intent", "at"),
    )
