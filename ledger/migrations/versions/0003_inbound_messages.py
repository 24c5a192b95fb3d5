"""Inbound messages, unique by (channel, provider id), so a provider's retry is answered once across restarts.

Revision ID: 0003_inbound_messages
Revises: 0002_reminders
Create Date: 2023-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.db import UTCDateTime

revision = "0003_inbound_messages"
down_revision: str | None = "0002_reminders"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("channel", "provider_id", name=op.f("uq_inbound_messages_channel_provider_id")),
    )


def downgrade() -> None:
    op.drop_table("inbound_messages")
