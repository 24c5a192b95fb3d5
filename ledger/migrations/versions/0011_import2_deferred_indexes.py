"""The indexes a large first import sets aside on PostgreSQL, recorded until they are built again.

Revision ID: 0011_import2_deferred_indexes
Revises: 0010_perf_console_search
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.db import UTCDateTime

revision = "0011_import2_deferred_indexes"
down_revision: str | None = "0010_perf_console_search"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "deferred_indexes",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("set_aside_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_deferred_indexes"),
    )


def downgrade() -> None:
    op.drop_table("deferred_indexes")
