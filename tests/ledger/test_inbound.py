"""The inbound stores: one body for the in-memory and the SQL store, then what only the SQL store does."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.kernel.clock import FixedClock
from bot.kernel.personal_data import normalize_phone
from ledger.db import make_engine, migrate
from ledger.inbound import INBOUND, InboundStore, MemoryInboundStore, SqlInboundStore
from tests.conftest import clean_database_url
from tests.timezone import SHANGHAI

NOW = dt.datetime(2023, 11, 24, 22, 0, tzinfo=SHANGHAI)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InboundStore]:
    if request.param == "memory":
        yield MemoryInboundStore()
        return
    engine = make_engine(clean_database_url(request.param, tmp_path))
    migrate(engine)
    yield SqlInboundStore(engine, FixedClock(NOW))
    engine.dispose()


def test_a_provider_id_is_recorded_once_per_channel(store: InboundStore) -> None:
    assert store.record("sms", "p-1", "13812345678", "你好") is True
    assert store.record("sms", "p-1", "13812345678", "你好") is False
    assert store.record("sms", "p-2", "13812345678", "你好") is True
    assert store.record("telegram", "p-1", "77", "你好") is True


def test_concurrent_retries_are_recorded_once(store: InboundStore) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def retry() -> None:
        barrier.wait()
        results.append(store.record("sms", "race", "13812345678", "你好"))

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_the_sql_store_remembers_across_a_restart(engine: Engine) -> None:
    assert SqlInboundStore(engine, FixedClock(NOW)).record("sms", "p-1", "13812345678", "你好")
    later = FixedClock(NOW + dt.timedelta(hours=1))
    assert SqlInboundStore(engine, later).record("sms", "p-1", "13812345678", "你好") is False


def test_the_sql_store_keeps_the_address_and_masks_personal_data_in_the_text(engine: Engine) -> None:
    phone = normalize_phone("+86 138-1234-5678")
    text = "绑定 430602199001011237 张三，新号码13998765432"
    SqlInboundStore(engine, FixedClock(NOW)).record("sms", "p-9", phone, text)
    with engine.connect() as conn:
        row = conn.execute(select(INBOUND)).one()
    assert (row.channel, row.provider_id, row.address) == ("sms", "p-9", "13812345678")
    assert row.text == "绑定 4306**********1237 张三，新号码139****5432"
    assert row.received_at == NOW and row.received_at.tzinfo is not None
