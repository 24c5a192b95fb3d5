"""Ledger fixtures: the campaign's rules, a clock, and a store of every kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.kernel.clock import FixedClock
from ledger.crypto import IdVault
from ledger.db import make_engine, migrate
from ledger.store import MemoryLedgerStore, SQLAlchemyLedgerStore
from tests.conftest import clean_database_url
from tests.timezone import SHANGHAI

# A copy of shared/samples/ledger-sample.csv: 12 good rows and a bad one (row 14).
SAMPLE = Path(__file__).parent / "data" / "ledger-sample.csv"
SECRET = "test-secret-key"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def vault() -> IdVault:
    return IdVault(SECRET)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, vault: IdVault, clock: FixedClock
) -> Iterator[MemoryLedgerStore | SQLAlchemyLedgerStore]:
    """Every LedgerStore implementation, each on a clean database."""
    if request.param == "memory":
        yield MemoryLedgerStore()
        return
    engine = make_engine(clean_database_url(request.param, tmp_path))
    migrate(engine)
    yield SQLAlchemyLedgerStore(engine, vault, clock)
    engine.dispose()
