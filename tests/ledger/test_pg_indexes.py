"""PostgreSQL: a large first import sets the trainees' indexes and the posts' key aside and makes them again."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from tests.conftest import POSTGRES_ENV, clean_database_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(tmp_path: Path) -> Any:
    from ledger.db import make_engine, migrate

    engine = make_engine(clean_database_url("postgres", tmp_path))
    migrate(engine)
    yield engine
    engine.dispose()


def _made(conn: Connection) -> set[tuple[str, str]]:
    """Every index and constraint of the two tables, with its definition."""
    indexes = conn.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('trainees', 'trainee_posts')")
    ).all()
    keys = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid IN ('trainees'::regclass, 'trainee_posts'::regclass)"
        )
    ).all()
    return {(name, sql) for name, sql in [*indexes, *keys]}


def _import(engine: Engine, path: Path) -> Any:
    from knowledge.campaign import load_campaign
    from ledger.crypto import IdVault
    from ledger.importer import import_ledger
    from tests.ledger.conftest import SECRET

    now = dt.datetime(2023, 11, 24, 10, tzinfo=dt.UTC)
    return import_ledger(engine, IdVault(SECRET), path, load_campaign().facts.posts, now)


def test_a_large_first_import_sets_indexes_and_the_posts_key_aside_and_makes_them_again(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger import bulk, pg_indexes
    from tests.ledger.conftest import SAMPLE

    with pg.connect() as conn:
        before = _made(conn)
    assert any(name == "ix_trainees_progress" for name, _ in before)
    assert any(name == "fk_trainee_posts_trainee_id_trainees" for name, _ in before)
    set_aside: list[str] = []
    real = pg_indexes._set_aside

    def seen(raw: Any, table: str, written_with: Any) -> bool:
        done = real(raw, table, written_with)
        set_aside.extend(name for (name,) in raw.execute("SELECT name FROM deferred_indexes").fetchall())
        return done

    monkeypatch.setattr(bulk, "DEFER_INDEXES_AT", 2)  # the sample is small; the threshold is what is tested
    monkeypatch.setattr(pg_indexes, "_set_aside", seen)
    report = _import(pg, SAMPLE)
    assert report.inserted >= 2
    assert {"ix_trainees_progress", "ix_trainee_posts_post", "fk_trainee_posts_trainee_id_trainees"} <= set(
        set_aside
    )
    assert "uq_trainees_campaign_id_hash" not in set_aside and "pk_trainees" not in set_aside
    with pg.connect() as conn:
        assert _made(conn) == before
        assert conn.execute(text("SELECT count(*) FROM deferred_indexes")).scalar_one() == 0
        posts = conn.execute(text("SELECT count(*) FROM trainee_posts")).scalar_one()
    assert posts >= report.inserted


def test_a_write_into_a_larger_table_keeps_its_indexes(pg: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger import bulk, pg_indexes
    from tests.ledger.conftest import SAMPLE

    _import(pg, SAMPLE)  # the table now holds more rows than the next file adds
    touched: list[str] = []
    monkeypatch.setattr(bulk, "DEFER_INDEXES_AT", 2)
    monkeypatch.setattr(pg_indexes, "_set_aside", lambda *a: touched.append("set aside") or False)
    with pg.begin() as conn:
        conn.execute(text("DELETE FROM trainees WHERE id IN (SELECT id FROM trainees ORDER BY id LIMIT 2)"))
    _import(pg, SAMPLE)
    assert touched == []


KILLED = """
import sys, time
from ledger.db import make_engine
from ledger.bulk import deferred_indexes
from ledger.store import POSTS, TRAINEES
engine = make_engine(sys.argv[1])
with engine.connect() as conn, deferred_indexes(conn, TRAINEES, 10**6, None, [POSTS]):
    print("set aside", flush=True)
    time.sleep(60)
"""


def test_indexes_set_aside_by_a_killed_import_come_back_at_the_next_start_not_before(
    pg: Engine, tmp_path: Path
) -> None:
    from bot.kernel.settings import Settings
    from ledger.db import open_database

    url = os.environ[POSTGRES_ENV]
    settings = Settings(data_dir=tmp_path / "data", database_url=url)
    with pg.connect() as conn:
        before = _made(conn)
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED, url], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2]
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "set aside"
        with pg.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM deferred_indexes")).scalar_one() >= 3
        open_database(settings).dispose()  # the import still runs: its indexes are its to make
        with pg.connect() as conn:
            assert _made(conn) != before
            assert conn.execute(text("SELECT count(*) FROM trainees")).scalar_one() == 0  # serve still reads
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    for _ in range(50):  # the server notices the closed session and drops its advisory lock
        open_database(settings).dispose()
        with pg.connect() as conn:
            if _made(conn) == before:
                break
        time.sleep(0.1)
    with pg.connect() as conn:
        assert _made(conn) == before
        assert conn.execute(text("SELECT count(*) FROM deferred_indexes")).scalar_one() == 0


def test_the_longest_builds_go_first_and_foreign_keys_last() -> None:
    from ledger.pg_indexes import _order

    recorded = [
        (
            "fk_posts",
            "ALTER TABLE trainee_posts ADD CONSTRAINT fk_posts FOREIGN KEY (trainee_id) REFERENCES x(id)",
        ),
        ("ix_a_post", "CREATE INDEX ix_a_post ON public.trainee_posts USING btree (post)"),
        ("ix_b_pair", "CREATE INDEX ix_b_pair ON public.trainees USING btree (campaign, id)"),
        (
            "ix_c_trgm",
            "CREATE INDEX ix_c_trgm ON public.trainees USING gin (name gin_trgm_ops, employer gin_trgm_ops)",
        ),
        ("ix_d_wide", "CREATE INDEX ix_d_wide ON public.trainees USING btree (a, b, c, d, e, f, g)"),
    ]
    assert [name for name, _ in sorted(recorded, key=_order)] == [
        "ix_d_wide",
        "ix_c_trgm",
        "ix_b_pair",
        "ix_a_post",
        "fk_posts",
    ]
