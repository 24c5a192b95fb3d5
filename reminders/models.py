"""The reminders' tables on the shared metadata: the outbox, the used reminder keys, shared rate limits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, UTCDateTime

STATUSES = ("queued", "sending", "sent", "failed", "parked", "cancelled", "expired")


class OutboxMessage(Base):
    """One message to send, unique by its idempotency key; the dispatcher moves it through ``STATUSES``.

    Reminders and broadcasts belong to a trainee; a reply (kind ``reply``) answers whoever wrote, trainee or not.
    A row not sent by ``expires_at`` is marked ``expired`` and never sent: a stale message is worse than none.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("trainees.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    kinds: Mapped[str] = mapped_column(String(200), default="")
    send_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    provider_id: Mapped[str | None] = mapped_column(String(128))
    receipt: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'parked', 'cancelled', 'expired')",
            name="status",
        ),
        # The claim takes due queued rows in (next_attempt_at, id) order straight from this index, never
        # sorting the whole queue; the SMS rate limit counts recent sends per number.
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at", "id"),
        Index("ix_outbox_channel_address_sent_at", "channel", "address", "sent_at"),
    )


class ReminderKey(Base):
    """A (trainee, kind, period) key already used, e.g. ``hours_shortfall:2023-W47``; never used twice."""

    __tablename__ = "reminder_keys"

    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainees.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_reminder_keys_key", "key"),)


class RateSlot(Base):
    """A rate limit shared by every instance: the next free send slot (Unix seconds) of one limit."""

    __tablename__ = "rate_slots"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)
