"""The console at 100,000 trainees: indexes for paging, searching, previews and the dashboard's cache; the
trained models instances share.

On PostgreSQL the trainee search uses a pg_trgm index on names and employers; when the extension cannot be
created (a role without the right), the migration goes on without it and the search scans the table.

Revision ID: 0010_perf_console_search
Revises: 0009_reliability_b_expiry
Create Date: 2026-11-30
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

from ledger.db import UTCDateTime

revision = "0010_perf_console_search"
down_revision: str | None = "0009_reliability_b_expiry"
branch_labels: str | None = None
depends_on: str | None = None

log = logging.getLogger(__name__)
SEARCHED = ["employer", "name", "phone", "id_masked"]
PROGRESS = [
    "campaign",
    "registered",
    "confirmed",
    "paid",
    "audited",
    "opted_out",
    "online_hours",
    "offline_hours",
]


def _trigram_index() -> None:
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        log.warning("pg_trgm not available (%s); the trainee search will scan the table", exc.orig)
        return
    op.create_index(
        "ix_trainees_search_trgm",
        "trainees",
        ["name", "employer"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops", "employer": "gin_trgm_ops"},
    )


def upgrade() -> None:
    op.drop_index("ix_trainees_progress", table_name="trainees")
    op.create_index("ix_trainees_progress", "trainees", [*PROGRESS, "phone"])
    op.create_index("ix_trainees_campaign_id", "trainees", ["campaign", "id"])
    op.create_index("ix_trainees_campaign_updated_at", "trainees", ["campaign", "updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        _trigram_index()
    else:
        op.create_index("ix_trainees_search", "trainees", ["campaign", *SEARCHED])
    op.create_table(
        "shared_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("artefact", sa.LargeBinary(), nullable=True),
        sa.Column("trained_by", sa.String(128), nullable=False),
        sa.Column("trained_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shared_models"),
    )
    op.create_index("ix_shared_models_fingerprint", "shared_models", ["fingerprint"])


def downgrade() -> None:
    op.drop_index("ix_shared_models_fingerprint", table_name="shared_models")
    op.drop_table("shared_models")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_trainees_search_trgm")
    else:
        op.drop_index("ix_trainees_search", table_name="trainees")
    op.drop_index("ix_trainees_campaign_updated_at", table_name="trainees")
    op.drop_index("ix_trainees_campaign_id", table_name="trainees")
    op.drop_index("ix_trainees_progress", table_name="trainees")
    op.create_index("ix_trainees_progress", "trainees", PROGRESS)
