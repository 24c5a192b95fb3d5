"""Dialogue state in the database: conversation state, binding codes, inbound claims and the per-sender cap.

Revision ID: 0007_reliability_a_dialogue
Revises: 0006_channels_blocks_tokens
Create Date: 2023-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.db import UTCDateTime

revision = "0007_reliability_a_dialogue"
down_revision: str | None = "0006_channels_blocks_tokens"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_states",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "address", name=op.f("pk_conversation_states")),
    )
    op.create_index("ix_conversation_states_expires_at", "conversation_states", ["expires_at"])
    op.create_table(
        "bind_codes",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["trainees.id"],
            name=op.f("fk_bind_codes_trainee_id_trainees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel", "address", name=op.f("pk_bind_codes")),
    )
    op.create_index(op.f("ix_bind_codes_trainee_id"), "bind_codes", ["trainee_id"])
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("claimed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("handled_at", UTCDateTime(), nullable=True))
        batch.create_index(
            "ix_inbound_messages_channel_address_received_at", ["channel", "address", "received_at"]
        )
    # Messages stored before claims existed were answered (or given up on) then: a retry is a duplicate.
    op.execute("UPDATE inbound_messages SET claimed_at = received_at, handled_at = received_at")


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_index("ix_inbound_messages_channel_address_received_at")
        batch.drop_column("handled_at")
        batch.drop_column("claimed_at")
    op.drop_index(op.f("ix_bind_codes_trainee_id"), table_name="bind_codes")
    op.drop_table("bind_codes")
    op.drop_index("ix_conversation_states_expires_at", table_name="conversation_states")
    op.drop_table("conversation_states")
