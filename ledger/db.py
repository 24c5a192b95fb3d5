"""The project's one SQLAlchemy metadata, the engine with its SQLite pragmas, and migrations to head."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from ledger.liveness import hung_up

if TYPE_CHECKING:
    from bot.kernel.settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_WAIT = 600.0

# Named constraints let Alembic alter SQLite tables in batch mode and keep names equal on PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table of the project (ledger, reminders, ...)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime on every backend: stored in UTC, read back aware (UTC); naive is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the database; pass an aware one")
        value = value.astimezone(dt.UTC)
        # SQLite has no zone; the convention there is naive UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT * 1000)}")
    finally:
        cursor.close()


_SQLITE_BUSY_TIMEOUT = 5.0
# Connections kept open for reuse. `jxjy serve` answers on up to 16 threads besides the event loop's
# workers; past the pool, a connection is opened for one use and closed after it, which costs PostgreSQL
# a new server process each time (and SQLite its pragmas). Connections open lazily: a command that needs
# one opens one.
# Last in, first out: the connection used last is used next, so a quiet moment's few requests keep to the
# connections (and PostgreSQL server processes) that are warm, their statements prepared and their catalog
# caches filled; in first-in-first-out order every request took the next of all the pooled connections,
# and each one opened under a burst stayed in the rotation, cold.
_POOL: dict[str, Any] = {"pool_size": 24, "max_overflow": 16, "pool_use_lifo": True}


def _create_private(path: Path) -> None:
    """Create an empty database file readable by its owner only (SQLite gives its WAL files the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str) -> Engine:
    """Create a sync engine for ``url``; for SQLite create the file (mode 0600) and set the pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            _create_private(Path(parsed.database))
        from ledger.sqlite_writer import queued_writer_factory

        # This process's writers queue on one lock per engine (see ledger.sqlite_writer).
        factory = queued_writer_factory(_SQLITE_BUSY_TIMEOUT)
        engine = create_engine(url, connect_args={"factory": factory}, **_POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_driver_name() != "psycopg":
        return create_engine(url, pool_pre_ping=True, **_POOL)
    engine = create_engine(url, **_POOL)
    event.listen(engine, "connect", _binary_lists)
    event.listen(engine, "checkout", _gone_away)
    return engine


def _gone_away(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled psycopg connection the server has ended (ledger.liveness): the pool opens a fresh one.

    This replaces SQLAlchemy's pre-ping, a ``SELECT 1`` round trip at every checkout.
    """
    if hung_up(dbapi_connection):
        raise DisconnectionError("the server ended the connection")


def _binary_lists(dbapi_connection: Any, _record: Any) -> None:
    """Send Python lists (the array parameters of ``ledger.array_rows`` and keyed lookups) in binary.

    psycopg's text form escapes and formats every element in Python; its binary form packs them, three
    to four times faster for strings and timestamps. Every array parameter is cast to its SQL type.
    """
    from psycopg.types.array import ListBinaryDumper

    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def dialect_filter(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for ``dialect``: an index declared for another dialect only
    (``Index(...).ddl_if(dialect=...)``) is neither created nor compared there."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        if type_ != "index" or reflected or condition is None or condition.dialect is None:
            return True
        wanted = condition.dialect
        return dialect == wanted if isinstance(wanted, str) else dialect in wanted

    return include


def alembic_config(engine: Engine | None = None) -> Any:
    """Build the Alembic configuration in code: the migrations shipped in this package, no alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        # ConfigParser interpolates '%', which URL-quoted socket paths contain.
        url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
        config.set_main_option("sqlalchemy.url", url)
    return config


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for Alembic; on SQLite with foreign keys off meanwhile.

    Batch migrations on SQLite rebuild a table and drop the old copy; with foreign keys enforced, that
    drop would fire the ON DELETE actions of the rows referring to it (reminder_keys.outbox_id would be
    set to NULL). The pragma only takes effect outside a transaction, hence before ``begin``.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def migrate(engine: Engine, revision: str = "head", *, wait: float = MIGRATION_WAIT) -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (head by default), one process at a time.

    Instances started together on a fresh database queue on the ``migrations`` lock: the first upgrades,
    the others find the schema at head and go on. Raise LockBusyError after ``wait`` seconds. A database
    already at head is left alone without loading Alembic (every command opens the database).
    """
    if revision == "head" and _at_head(engine):
        return
    from alembic import command
    from alembic.util import CommandError

    from ledger.locks import holding, named_lock

    config = alembic_config(engine)
    busy = f"another process has been migrating this database for {wait:.0f} s; try again when it is done"
    lock = named_lock(engine, "migrations")
    with holding(lock, busy, timeout=wait), _migration_connection(engine) as connection:
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, revision)
        except CommandError as exc:  # a revision this release does not know: a newer or foreign database
            raise ValueError(
                f"数据库的结构版本不是本程序认识的（{exc}）：它来自别的 jxjy 版本。请用对应的版本打开，"
                "或备份后指定一个新的数据库"
            ) from exc


_REVISION = re.compile(r'^revision = "([^"]+)"', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision: [^=]*= "([^"]+)"', re.MULTILINE)


def head_revision() -> str | None:
    """The newest migration's id, read from the files; None unless there is exactly one head."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found is None:
            return None
        revisions.add(found.group(1))
        parents.update(_DOWN_REVISION.findall(text))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _at_head(engine: Engine) -> bool:
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:  # a fresh database: no version table yet
        return False
    return current == [head]


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the database behind ``engine`` to ``revision`` (``base`` drops every table)."""
    from alembic import command

    config = alembic_config(engine)
    with _migration_connection(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def open_database(settings: Settings) -> Engine:
    """Open the configured database (creating the data dir) and migrate it to head."""
    settings.ensure_data_dir()
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    from ledger.bulk import index_keep, restore_indexes

    keep = index_keep(engine)
    if keep is not None and keep.exists():  # an import killed while its indexes were set aside
        with engine.connect() as conn:
            restore_indexes(conn.connection.dbapi_connection, keep)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        from ledger.pg_indexes import restore_deferred

        restore_deferred(engine)
    log.debug("database ready: %s", engine.url.render_as_string(hide_password=True))
    return engine


def dialect_insert(engine_or_name: Engine | str, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on the engine's dialect (SQLite or PostgreSQL)."""
    name = engine_or_name if isinstance(engine_or_name, str) else engine_or_name.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"database {name!r} is not supported; use SQLite or PostgreSQL")


def lookup_keys(dialect: str, table: Table, key: str, value: ColumnElement[Any], *where: Any) -> Any:
    """SELECT (key, value) of one channel's rows whose ``key`` is among ``:keys``, each found by its index.

    Parameters: ``channel``, ``keys`` and whatever ``where`` binds. Each key is looked up in the table's
    (channel, key) unique index: SQLite does so for an IN list; PostgreSQL, while its statistics are young
    (a new deployment), may scan the whole channel and filter the keys instead, so there each key is
    looked up by a subquery of its own (a key without a row comes back with None).
    """
    column = table.c[key]
    if dialect != "postgresql":
        keys = column.in_(bindparam("keys", expanding=True))
        return select(column, value).where(table.c.channel == bindparam("channel"), keys, *where)
    asked = func.unnest(bindparam("keys", type_=postgresql.ARRAY(String)))
    wanted = asked.table_valued("key").render_derived(name="asked")
    found = select(value).where(table.c.channel == bindparam("channel"), column == wanted.c.key, *where)
    return select(wanted.c.key, found.scalar_subquery())


def by_channel(chats: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(channel, address) pairs as each channel's sorted addresses: one indexed IN list per channel."""
    grouped: dict[str, set[str]] = {}
    for channel, address in chats:
        grouped.setdefault(channel, set()).add(address)
    return {channel: sorted(addresses) for channel, addresses in grouped.items()}
