"""Channel blocks (unfollowed, blocked the bot) and the shared WeChat access token.

Revision ID: 0006_channels_blocks_tokens
Revises: 0005_campaign_years
Create Date: 2023-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.db import UTCDateTime

revision = "0006_channels_blocks_tokens"
down_revision: str | None = "0005_campaign_years"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "channel_blocks",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "address", name=op.f("pk_channel_blocks")),
    )
    op.create_table(
        "wechat_tokens",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("fetched_at", UTCDateTime(), nullable=True),
        sa.Column("fetching_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_wechat_tokens")),
    )


def downgrade() -> None:
    op.drop_table("wechat_tokens")
    op.drop_table("channel_blocks")
