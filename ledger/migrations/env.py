"""Alembic environment: runs on the connection handed over by ledger.db.migrate, or on the configured URL."""

from __future__ import annotations

import importlib
import importlib.util

from alembic import context
from sqlalchemy import Connection

from ledger.db import Base, dialect_filter, make_engine

# Every package that declares tables on the shared metadata; autogenerate compares against all of them.
MODEL_MODULES = (
    "ledger.models",
    "reminders.models",
    "ledger.inbound_models",
    "ledger.channel_models",
    "ledger.dialogue_models",
    "reminders.broadcast_models",
    "bot.console.models",
)
for _name in MODEL_MODULES:
    if importlib.util.find_spec(_name) is not None:
        importlib.import_module(_name)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=dialect_filter(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Developer use (``alembic revision --autogenerate``): the URL from the config, else the settings.
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        from bot.kernel.settings import Settings

        url = Settings().effective_database_url
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


_main()
