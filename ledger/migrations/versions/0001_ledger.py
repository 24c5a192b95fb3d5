"""Ledger tables: trainees, their posts, bindings, bind failures, conversations and messages.

Revision ID: 0001_ledger
Revises:
Create Date: 2023-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.db import UTCDateTime

revision = "0001_ledger"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "trainees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("id_cipher", sa.Text(), nullable=False),
        sa.Column("id_masked", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=True),
        sa.Column("employer", sa.String(length=200), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("online_hours", sa.Float(), nullable=False),
        sa.Column("offline_hours", sa.Float(), nullable=False),
        sa.Column("audited", sa.Boolean(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainees")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_trainees_id_hash")),
    )
    op.create_table(
        "trainee_posts",
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("post", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["trainees.id"],
            name=op.f("fk_trainee_posts_trainee_id_trainees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trainee_id", "post", name=op.f("pk_trainee_posts")),
    )
    op.create_index("ix_trainee_posts_post", "trainee_posts", ["post"])
    op.create_table(
        "bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainee_id"], ["trainees.id"], name=op.f("fk_bindings_trainee_id_trainees"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bindings")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_bindings_channel_address")),
    )
    op.create_index(op.f("ix_bindings_trainee_id"), "bindings", ["trainee_id"])
    op.create_table(
        "bind_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bind_failures")),
    )
    op.create_index("ix_bind_failures_channel_address_at", "bind_failures", ["channel", "address", "at"])
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_conversations_channel_address")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_messages_direction")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(op.f("ix_messages_conversation_id"), "messages", ["conversation_id"])
    op.create_index("ix_messages_intent_at", "messages", ["intent", "at"])


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_table("conversations")
    op.drop_table("bind_failures")
    op.drop_table("bindings")
    op.drop_table("trainee_posts")
    op.drop_table("trainees")
