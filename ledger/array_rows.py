"""Rows written many at once by one statement whose text is the same however many there are (PostgreSQL: arrays).

SQLAlchemy sends a batch of rows to PostgreSQL as one INSERT with a VALUES row each ("insertmanyvalues"):
its text changes with the number of rows and carries a parameter per value, so psycopg parses it anew in
Python each time (past 50 parameters it caches nothing) and PostgreSQL parses and plans it anew. On the
service's hot path (a group commit every few messages) that was a tenth of `jxjy serve`'s CPU. Here, on
PostgreSQL, the rows go as one array per column, read back by ``unnest``: one short statement of a few
parameters, which psycopg converts once and prepares, and PostgreSQL plans once. SQLite gets the rows as
an executemany, which its driver runs in C.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine


class ArrayRows:
    """Rows of named fields (``fields``: name and type) as the parameters of one statement.

    On PostgreSQL ``rows`` is a derived table (one array parameter per field, named after it) to select
    from or join; ``params`` turns the rows into those arrays. Elsewhere ``rows`` is None and ``params``
    gives the rows themselves, for an executemany of a statement with a bind parameter per field.
    """

    def __init__(
        self, dialect: str, fields: Sequence[tuple[str, TypeEngine[Any]]], name: str = "rows"
    ) -> None:
        self.names = tuple(field for field, _ in fields)
        self.rows: TableValuedAlias | None = None
        if dialect == "postgresql":
            arrays = [bindparam(field, type_=postgresql.ARRAY(type_)) for field, type_ in fields]
            self.rows = func.unnest(*arrays).table_valued(*self.names).render_derived(name=name)

    @classmethod
    def of(cls, dialect: str, table: Table, columns: Sequence[str]) -> ArrayRows:
        """Rows of ``table``'s ``columns``, each field typed as its column."""
        return cls(dialect, [(column, table.c[column].type) for column in columns])

    def params(self, rows: Sequence[Mapping[str, Any]]) -> Any:
        """The parameters of one execution writing ``rows`` (each a mapping of every field)."""
        if self.rows is None:
            return list(rows)
        return {field: [row[field] for row in rows] for field in self.names}

    def insert(self, table: Table) -> Any:
        """INSERT INTO ``table`` (its columns named as the fields) the rows, in their order (PostgreSQL)."""
        if self.rows is None:
            raise RuntimeError("ArrayRows.insert is for PostgreSQL; elsewhere execute the rows one by one")
        return postgresql.insert(table).from_select(list(self.names), self.rows.select())
