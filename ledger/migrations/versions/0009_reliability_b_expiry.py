"""Outbox rows expire; rate limits shared by instances; the PID lease gives way to locks that die with their holder;
the claim's index orders by id too, so a claim never sorts the whole queue.

Revision ID: 0009_reliability_b_expiry
Revises: 0008_console_tables
Create Date: 2023-11-25
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from ledger.db import UTCDateTime

revision = "0009_reliability_b_expiry"
down_revision: str | None = "0008_console_tables"
branch_labels: str | None = None
depends_on: str | None = None

OLD_STATUSES = "status IN ('queued', 'sending', 'sent', 'failed', 'parked', 'cancelled')"
NEW_STATUSES = "status IN ('queued', 'sending', 'sent', 'failed', 'parked', 'cancelled', 'expired')"
# Rows queued before this revision: a reply stays good for a few hours, anything else for a day.
REPLY_TTL = dt.timedelta(hours=4)
OTHER_TTL = dt.timedelta(days=1)


def _backfill() -> None:
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer()),
        sa.column("kinds", sa.String()),
        sa.column("send_at", UTCDateTime()),
        sa.column("expires_at", UTCDateTime()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(outbox.c.id, outbox.c.kinds, outbox.c.send_at)).all()
    updates = [
        {"row_id": row_id, "expires": send_at + (REPLY_TTL if kinds == "reply" else OTHER_TTL)}
        for row_id, kinds, send_at in rows
    ]
    if updates:
        statement = (
            sa.update(outbox)
            .where(outbox.c.id == sa.bindparam("row_id"))
            .values(expires_at=sa.bindparam("expires"))
        )
        bind.execute(statement, updates)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
    _backfill()
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("expires_at", existing_type=UTCDateTime(), nullable=False)
        batch.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch.create_check_constraint("status", sa.text(NEW_STATUSES))
    op.create_table(
        "rate_slots",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rate_slots")),
    )
    op.drop_table("dispatcher_leases")
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "dispatcher_leases",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dispatcher_leases")),
    )
    op.drop_table("rate_slots")
    op.execute("UPDATE outbox SET status = 'cancelled', last_error = 'expired' WHERE status = 'expired'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch.create_check_constraint("status", sa.text(OLD_STATUSES))
        batch.drop_column("expires_at")
