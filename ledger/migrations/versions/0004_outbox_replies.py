"""Replies in the outbox: an answer to an inbound message may go to someone who is not a trainee.

Revision ID: 0004_outbox_replies
Revises: 0003_inbound_messages
Create Date: 2023-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_outbox_replies"
down_revision: str | None = "0003_inbound_messages"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("trainee_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Rows without a trainee are replies; the older schema cannot hold them.
    op.execute("DELETE FROM outbox WHERE trainee_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("trainee_id", existing_type=sa.Integer(), nullable=False)
