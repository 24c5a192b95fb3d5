"""Shared fixtures: a clean database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

POSTGRES_ENV = "JXJY_TEST_POSTGRES_URL"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def clean_database_url(kind: str, tmp_path: Path) -> str:
    """URL of an empty database of ``kind`` (sqlite or postgres); skip when postgres is not set up."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'jxjy.sqlite3'}"
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    _reset_postgres(url)
    return url


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database: a fresh SQLite file, or PostgreSQL ($JXJY_TEST_POSTGRES_URL) wiped clean."""
    return clean_database_url(request.param, tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the clean database, migrated to head."""
    from ledger.db import make_engine, migrate

    db = make_engine(database_url)
    migrate(db)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def nlu_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One NLU model cache for the whole run: the model is trained once, then loaded like in production."""
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def interpreter(nlu_cache: Path) -> object:
    """The in-process NLU engine trained on the packaged data."""
    from nlu.interpreter import LocalInterpreter

    return LocalInterpreter.from_files(cache_dir=nlu_cache)


@pytest.fixture(scope="session")
def campaign() -> object:
    """The packaged 2023 campaign file."""
    from knowledge.campaign import load_campaign

    return load_campaign()
