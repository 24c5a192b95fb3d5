"""The channels' table on the shared metadata: inbound messages, unique by (channel, provider id)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, UTCDateTime

PROVIDER_ID_LENGTH = 128


class InboundMessage(Base):
    """One message a provider delivered to us; a retry of the same provider id finds it and is not answered."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(PROVIDER_ID_LENGTH))
    # Kept as given: it is where the reply goes.
    address: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Who answers: the request that claimed the message (a claim lapses, so a retry after a crash answers),
    # and when it was handled (answered, or stored only because its sender passed the cap).
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("channel", "provider_id"),
        # The per-sender cap counts a sender's recent messages.
        Index("ix_inbound_messages_channel_address_received_at", "channel", "address", "received_at"),
    )
