from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from bot.settings import Settings
from ledger.db import Base, downgrade, migrate, open_database


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
