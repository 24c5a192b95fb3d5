"""The dialogue's tables on the shared metadata: conversation state between messages, binding codes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, UTCDateTime


class ConversationStateRow(Base):
    """One conversation's state (JSON, an ID number in it encrypted), until it lapses at ``expires_at``."""

    __tablename__ = "conversation_states"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_conversation_states_expires_at", "expires_at"),)


class BindCode(Base):
    """A one-time code sent by SMS to finish binding a chat address: only its keyed hash is kept."""

    __tablename__ = "bind_codes"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(String(128), primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainees.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
