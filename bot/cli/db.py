"""`jxjy db ...`: the database schema, upgraded as a deployment step of its own."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="The database: schema upgrades.")


@app.command()
def upgrade() -> None:
    """Upgrade the schema to this version's head; instances started meanwhile wait for it (a lock)."""
    from alembic.migration import MigrationContext

    from bot.cli.common import engine_or_exit, runtime_or_exit

    engine = engine_or_exit(runtime_or_exit(None))  # opening the database migrates it, under the lock
    try:
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    typer.echo(f"数据库已是最新结构（{revision}）")
