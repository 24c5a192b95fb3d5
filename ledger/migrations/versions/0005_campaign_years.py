"""Trainee records belong to a campaign year: a campaign column, unique per (campaign, ID hash).

Revision ID: 0005_campaign_years
Revises: 0004_outbox_replies
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_campaign_years"
down_revision: str | None = "0004_outbox_replies"
branch_labels: str | None = None
depends_on: str | None = None

# Every record stored before this revision came from the 2023 notice, the only campaign there was.
FIRST_CAMPAIGN = "yueyang-2023"


def upgrade() -> None:
    with op.batch_alter_table("trainees") as batch:
        batch.add_column(
            sa.Column("campaign", sa.String(length=64), nullable=False, server_default=FIRST_CAMPAIGN)
        )
        batch.drop_constraint("uq_trainees_id_hash", type_="unique")
        batch.create_unique_constraint("uq_trainees_campaign_id_hash", ["campaign", "id_hash"])
    with op.batch_alter_table("trainees") as batch:  # new rows must say their campaign
        batch.alter_column("campaign", existing_type=sa.String(length=64), server_default=None)


def downgrade() -> None:
    # The older schema holds one record per person: only the first campaign's records fit in it. Foreign
    # keys are off while SQLite migrates, so the rows that refer to the others go first, by hand.
    later = "SELECT id FROM trainees WHERE campaign <> :first"
    for table in ("reminder_keys", "outbox", "bindings", "trainee_posts"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE trainee_id IN ({later})").bindparams(first=FIRST_CAMPAIGN)
        )
    op.execute(sa.text("DELETE FROM trainees WHERE campaign <> :first").bindparams(first=FIRST_CAMPAIGN))
    with op.batch_alter_table("trainees") as batch:
        batch.drop_constraint("uq_trainees_campaign_id_hash", type_="unique")
        batch.create_unique_constraint("uq_trainees_id_hash", ["id_hash"])
        batch.drop_column("campaign")
