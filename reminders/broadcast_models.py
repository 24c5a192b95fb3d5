"""The broadcasts table: what staff sent to whom, so its delivery can be followed and cancelled."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, UTCDateTime
from ledger.models import Trainee
from reminders.models import OutboxMessage


class BroadcastRecord(Base):
    """One staff message to a segment; its outbox rows carry ``broadcast:<id>:<trainee>`` keys."""

    __tablename__ = "broadcasts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(Text)  # JSON of the Audience
    description: Mapped[str] = mapped_column(String(400))
    send_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


# Narrow indexes for the aggregate reads of the console and the broadcast reports: counting 100,000
# trainees by stage, or the outbox by status, scans these instead of the wide rows.
Index(
    "ix_trainees_progress",
    Trainee.campaign,
    Trainee.registered,
    Trainee.confirmed,
    Trainee.paid,
    Trainee.audited,
    Trainee.opted_out,
    Trainee.online_hours,
    Trainee.offline_hours,
    Trainee.phone,  # a broadcast's preview tells SMS from unreachable without the rows
)
Index(
    "ix_outbox_status_sent_at",
    OutboxMessage.status,
    OutboxMessage.sent_at,
    OutboxMessage.receipt,
    OutboxMessage.channel,
)
