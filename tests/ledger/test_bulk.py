"""Bulk writes: the roomy SQLite page cache is the import's only, and given back."""

from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from ledger.bulk import roomy_cache


def pragma(conn: Connection, name: str) -> int:
    raw: Any = (
        conn.connection.dbapi_connection
    )  # read beside SQLAlchemy's transaction, as roomy_cache sets it
    return int(raw.execute(f"PRAGMA {name}").fetchone()[0])


def test_the_page_cache_and_the_log_grow_for_a_bulk_write_and_shrink_back(engine: Engine) -> None:
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with roomy_cache(conn):  # nothing to do elsewhere
                return
        before = pragma(conn, "cache_size"), pragma(conn, "wal_autocheckpoint")
        with roomy_cache(conn, kib=32_768, wal_pages=9_999):
            assert (pragma(conn, "cache_size"), pragma(conn, "wal_autocheckpoint")) == (-32_768, 9_999)
            with conn.begin():  # transactions go on as usual inside
                conn.exec_driver_sql("SELECT 1")
        assert (pragma(conn, "cache_size"), pragma(conn, "wal_autocheckpoint")) == before
        assert before[0] != -32_768 and before[1] != 9_999


def _indexes(conn: Connection) -> set[tuple[str, str]]:
    raw: Any = conn.connection.dbapi_connection
    rows = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trainees'")
    return {(name, sql) for name, sql in rows.fetchall() if sql}


def test_a_large_first_import_sets_the_secondary_indexes_aside_and_builds_them_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from knowledge.campaign import load_campaign
    from ledger import bulk
    from ledger.crypto import IdVault
    from ledger.importer import import_ledger
    from tests.ledger.conftest import SAMPLE, SECRET

    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite here; PostgreSQL in test_pg_indexes.py")
    with engine.connect() as conn:
        before = _indexes(conn)
    assert any(not sql.upper().startswith("CREATE UNIQUE") for _, sql in before)
    dropped: list[str] = []
    real = bulk._secondary_indexes

    def seen(raw: Any, table: str) -> list[tuple[str, str]]:
        found = real(raw, table)
        dropped.extend(name for name, _ in found)
        return found

    monkeypatch.setattr(bulk, "DEFER_INDEXES_AT", 2)  # the sample is small; the threshold is what is tested
    monkeypatch.setattr(bulk, "_secondary_indexes", seen)
    report = import_ledger(
        engine,
        IdVault(SECRET),
        SAMPLE,
        load_campaign().facts.posts,
        dt.datetime(2023, 11, 24, 10, tzinfo=dt.UTC),
    )
    assert report.inserted >= 2 and dropped  # the indexes were set aside...
    with engine.connect() as conn:
        assert _indexes(conn) == before  # ...and are all back
    keep = bulk.index_keep(engine)
    assert keep is not None and not keep.exists()


def test_indexes_set_aside_by_a_killed_import_come_back_at_the_next_start(engine: Engine) -> None:
    from ledger.bulk import index_keep, restore_indexes

    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    keep = index_keep(engine)
    assert keep is not None
    with engine.connect() as conn:
        before = _indexes(conn)
        raw: Any = conn.connection.dbapi_connection
        name, sql = sorted(i for i in before if not i[1].upper().startswith("CREATE UNIQUE"))[0]
        keep.write_text(f"{sql};\n", encoding="utf-8")  # as an import writes it before dropping
        raw.execute(f'DROP INDEX "{name}"')
        raw.commit()
        assert _indexes(conn) != before
        restore_indexes(raw, keep)
        assert _indexes(conn) == before and not keep.exists()
