"""Channel blocks: one test body for the in-memory and the SQL store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.channel_blocks import ChannelBlocks, MemoryChannelBlocks, SqlChannelBlocks
from ledger.db import make_engine, migrate
from tests.conftest import clean_database_url

AT = dt.datetime(2023, 11, 24, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blocks(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChannelBlocks]:
    if request.param == "memory":
        yield MemoryChannelBlocks()
        return
    engine = make_engine(clean_database_url(request.param, tmp_path))
    migrate(engine)
    yield SqlChannelBlocks(engine)
    engine.dispose()


def test_block_unblock_and_ask_per_channel(blocks: ChannelBlocks) -> None:
    blocks.block("wechat", "oA", "unsubscribed", AT)
    blocks.block("wechat", "oA", "WeChat 43004", AT)  # again: still one block
    blocks.block("telegram", "42", "blocked the bot", AT)
    assert blocks.blocked("wechat", ["oA", "oB", "42"]) == {"oA"}
    assert blocks.blocked("telegram", ["oA", "42"]) == {"42"}
    assert blocks.blocked("wechat", []) == set()
    assert blocks.unblock("wechat", "oA")
    assert not blocks.unblock("wechat", "oA")
    assert blocks.blocked("wechat", ["oA"]) == set()
