"""Binding-code stores: one body for the in-memory and the SQL store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger.bind_codes import (
    CODES,
    BindCodeStore,
    MemoryBindCodeStore,
    PendingCode,
    SqlBindCodeStore,
    code_key,
    hash_code,
)
from ledger.crypto import IdVault
from ledger.db import make_engine, migrate
from ledger.store import SQLAlchemyLedgerStore
from tests.conftest import clean_database_url
from tests.records import trainee
from tests.timezone import SHANGHAI

NOW = dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI)
TEN_MINUTES = dt.timedelta(minutes=10)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def codes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[BindCodeStore, int]]:
    """A code store and the id of a trainee codes may name."""
    if request.param == "memory":
        yield MemoryBindCodeStore(), 1
        return
    engine = make_engine(clean_database_url(request.param, tmp_path))
    migrate(engine)
    ledger = SQLAlchemyLedgerStore(engine, IdVault("test-secret-key"))
    trainee_id = ledger.add("430621199208284985", trainee(trainee_id=0, id_masked="")).trainee_id
    yield SqlBindCodeStore(engine), trainee_id
    engine.dispose()


def test_one_pending_code_per_address(codes: tuple[BindCodeStore, int]) -> None:
    store, trainee_id = codes
    assert store.get("telegram", "42") is None
    first = PendingCode(trainee_id, "a" * 64, NOW, NOW + TEN_MINUTES)
    store.put("telegram", "42", first)
    assert store.get("telegram", "42") == first
    assert store.get("telegram", "43") is None and store.get("sms", "42") is None
    second = PendingCode(trainee_id, "b" * 64, NOW + dt.timedelta(minutes=2), NOW + dt.timedelta(minutes=12))
    store.put("telegram", "42", second)
    assert store.get("telegram", "42") == second
    store.delete("telegram", "42")
    assert store.get("telegram", "42") is None
    store.delete("telegram", "42")  # deleting nothing is fine


def test_the_sql_store_drops_lapsed_codes_when_it_stores_one(tmp_path: Path) -> None:
    engine = make_engine(clean_database_url("sqlite", tmp_path))
    migrate(engine)
    ledger = SQLAlchemyLedgerStore(engine, IdVault("test-secret-key"))
    trainee_id = ledger.add("430621199208284985", trainee(trainee_id=0, id_masked="")).trainee_id
    store = SqlBindCodeStore(engine)
    store.put("telegram", "1", PendingCode(trainee_id, "a" * 64, NOW, NOW + TEN_MINUTES))
    later = NOW + dt.timedelta(hours=1)
    store.put("telegram", "2", PendingCode(trainee_id, "b" * 64, later, later + TEN_MINUTES))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CODES)).scalar_one() == 1
    engine.dispose()


def test_a_code_hash_is_keyed_and_tied_to_its_address() -> None:
    key = code_key("secret")
    assert hash_code(key, "telegram", "42", "123456") == hash_code(
        code_key("secret"), "telegram", "42", "123456"
    )
    assert hash_code(key, "telegram", "42", "123456") != hash_code(key, "telegram", "43", "123456")
    assert hash_code(key, "telegram", "42", "123456") != hash_code(
        code_key("other"), "telegram", "42", "123456"
    )
    assert "123456" not in hash_code(key, "telegram", "42", "123456")
