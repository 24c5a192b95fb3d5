"""Bulk writes: the roomy SQLite page cache is the import's only, and given back."""

from typing import Any

from sqlalchemy import Connection, Engine

from ledger.bulk import roomy_cache


def cache_size(conn: Connection) -> int:
    raw: Any = (
        conn.connection.dbapi_connection
    )  # read beside SQLAlchemy's transaction, as roomy_cache sets it
    return int(raw.execute("PRAGMA cache_size").fetchone()[0])


def test_the_page_cache_grows_for_a_bulk_write_and_shrinks_back(engine: Engine) -> None:
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with roomy_cache(conn):  # nothing to do elsewhere
                return
        before = cache_size(conn)
        with roomy_cache(conn, kib=32_768):
            assert cache_size(conn) == -32_768
            with conn.begin():  # transactions go on as usual inside
                conn.exec_driver_sql("SELECT 1")
        assert cache_size(conn) == before != -32_768
