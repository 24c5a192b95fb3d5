"""Locks that die with their holder, on both backends; migrations of instances started together."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, inspect, text

from ledger.db import make_engine, migrate
from ledger.locks import LockBusyError, acquire, holding, named_lock


def test_shared_holders_keep_out_an_exclusive_one(engine: Engine) -> None:
    service, importer, rotation = (named_lock(engine, "keys") for _ in range(3))
    assert service.try_acquire(shared=True)
    assert importer.try_acquire(shared=True)
    assert not rotation.try_acquire()
    service.release()
    assert not rotation.try_acquire()
    importer.release()
    assert rotation.try_acquire()
    assert not service.try_acquire(shared=True)
    rotation.release()
    assert service.try_acquire(shared=True)
    service.release()


def test_holding_waits_then_says_why(engine: Engine) -> None:
    first, second = named_lock(engine, "plan"), named_lock(engine, "plan")
    with holding(first, "busy"):
        with pytest.raises(LockBusyError, match="busy"), holding(second, "busy", timeout=0.3):
            pass
        assert first.alive()
    assert acquire(second, timeout=1)
    second.release()
    assert not second.alive()


@pytest.mark.postgres
def test_a_lock_asks_the_server_once_a_second_and_sees_its_session_ended_at_once(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a session of its own is PostgreSQL's; SQLite's file lock lives with the process")
    lock = named_lock(engine, "dispatch")
    assert lock.try_acquire()
    asked: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: asked.append(args[2]))
    assert lock.alive() and lock.alive() and lock.alive()
    assert asked == ["SELECT 1"]  # the first asks; the next, within a second, look at the socket
    with engine.connect() as other:
        mine = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = "
        mine += "(SELECT oid FROM pg_database WHERE datname = current_database())"  # the server may be shared
        pid = other.execute(text(mine)).scalar_one()
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    time.sleep(0.2)
    assert not lock.alive()  # within the second, but the socket says the server ended the session
    assert lock.try_acquire()
    lock.release()


def test_unknown_lock_names_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown lock"):
        named_lock(engine, "everything")


def test_instances_started_together_on_a_fresh_database_all_come_up(database_url: str) -> None:
    engines = [make_engine(database_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def come_up(engine: Engine) -> None:
        start.wait()
        try:
            migrate(engine)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=come_up, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert "outbox" in inspect(engines[0]).get_table_names()
    finally:
        for engine in engines:
            engine.dispose()


def test_the_sqlite_file_is_created_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'jxjy.sqlite3'}")
        migrate(engine)
        engine.dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new" / "jxjy.sqlite3").stat().st_mode) == 0o600


def test_an_import_waits_for_a_rotation_then_says_why(engine: Engine) -> None:
    from ledger.rotation import KEY_BUSY, key_use

    rotation = named_lock(engine, "keys")
    assert rotation.try_acquire()
    try:
        with pytest.raises(LockBusyError) as refused, key_use(engine, wait=0.3):
            pass
        assert str(refused.value) == KEY_BUSY
    finally:
        rotation.release()
    with key_use(engine, wait=0):
        pass
