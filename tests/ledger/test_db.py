import datetime as dt
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from bot.kernel.settings import Settings
from ledger.db import Base, dialect_filter, downgrade, make_engine, migrate, open_database


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        include = dialect_filter(connection.dialect.name)
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_go_down_and_up_again(engine: Engine) -> None:
    downgrade(engine, "base")
    assert "trainees" not in inspect(engine).get_table_names()
    migrate(engine)
    assert "trainees" in inspect(engine).get_table_names()


def test_open_database_creates_the_data_dir_and_sets_sqlite_pragmas(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=None)
    engine = open_database(settings)
    try:
        assert (tmp_path / "data" / "jxjy.sqlite3").exists()
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_rebuilding_the_outbox_keeps_the_rows_that_refer_to_it(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0003_inbound_messages")
        now = dt.datetime(2023, 11, 24, tzinfo=dt.UTC)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO trainees (id, id_hash, id_cipher, id_masked, name, employer, registered,"
                    " confirmed, paid, online_hours, offline_hours, audited, opted_out, created_at, updated_at)"
                    " VALUES (1, 'h', '-', '4306', '张三', '', false, false, false, 0, 0, false, false, :t, :t)"
                ),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO outbox (id, idempotency_key, trainee_id, channel, address, text, kinds,"
                    " send_at, status, attempts, next_attempt_at, created_at)"
                    " VALUES (7, 'k', 1, 'sms', '13800000001', 't', 'deadline', :t, 'queued', 0, :t, :t)"
                ),
                {"t": now},
            )
            conn.execute(text("INSERT INTO reminder_keys VALUES (1, 'deadline:1', 7, :t)"), {"t": now})
        migrate(engine)  # 0004 rebuilds the outbox table on SQLite
        with engine.connect() as connection:
            assert connection.execute(text("SELECT outbox_id FROM reminder_keys")).scalar() == 7
            if engine.dialect.name == "sqlite":
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_the_head_read_from_the_files_is_alembics(engine: Engine) -> None:
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from ledger.db import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    migrate(engine)  # at head: nothing to do, and nothing done


def test_a_connection_the_server_ended_is_replaced_at_checkout(database_url: str) -> None:
    # PostgreSQL's pooled connections are checked without a round trip (ledger.db._gone_away): one that the
    # server ended meanwhile (a restart, a terminated backend) is replaced before any statement uses it.
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                before = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            killer = make_engine(database_url)
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": before})
            killer.dispose()
            time.sleep(0.2)  # the notice and the end of stream reach the pooled connection's socket
            with engine.begin() as connection:  # no OperationalError: a fresh connection
                after = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            assert after != before
        with engine.begin() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
