"""The channels' state on the shared metadata: addresses a channel must not send to, the WeChat access token."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, UTCDateTime


class ChannelBlock(Base):
    """A chat address its channel will not deliver to: a WeChat user who unfollowed, a Telegram chat that
    blocked the bot. Lifted when the person writes (or follows) again."""

    __tablename__ = "channel_blocks"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(128), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class WeChatToken(Base):
    """The one access token of an official account, shared by every instance (a new fetch supersedes it).

    ``fetching_until`` is a short lease: the instance holding it fetches, the others wait for its token,
    so two instances never invalidate each other's fresh token.
    """

    __tablename__ = "wechat_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    fetching_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
