"""New trainees into the database: their rows made ready (ID numbers sealed, values converted for the driver)
apart from the transaction that writes them, so an import prepares the next batch while one is written.

On PostgreSQL a batch's ids are drawn from the table's sequence first and written with the rows (the posts
need them: nothing is read back); on SQLite the rows are inserted and their ids found after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, func, select, text

from ledger.accepting import Accepted
from ledger.bulk import bulk_insert_tuples, converted_columns
from ledger.crypto import IdVault
from ledger.merge import STORED, new_columns
from ledger.store import POSTS, TRAINEES

__all__ = ["NewRows", "insert_new", "new_rows"]

_VARYING = (*STORED, "id_hash", "id_cipher", "id_masked")
_SAME = ("opted_out", "created_at", "updated_at", "campaign")
_INSERTED = (*_VARYING, *_SAME)
_POST_COLUMNS = ("trainee_id", "post", "position")
# ``count`` values of the trainees' id sequence (nextval is never rolled back: no other writer gets them), as
# one array: the driver reads it in one go, not row by row.
_DRAW_IDS = text(
    "SELECT array_agg(nextval(pg_get_serial_sequence('trainees', 'id'))) FROM generate_series(1, :count)"
)


@dataclass(slots=True)
class NewRows:
    """Trainees ready to insert: their values column by column in ``_INSERTED`` order (converted for the
    driver), their lookup hashes and their posts, row by row; and the campaign they belong to."""

    columns: list[Sequence[Any]]
    keys: list[str]
    posts: list[tuple[str, ...]]
    campaign: str


def new_rows(
    dialect: Dialect,
    vault: IdVault,
    batch: Sequence[Accepted],
    now: dt.datetime,
    campaign: str,
) -> NewRows:
    """The new trainees of ``batch`` (valid rows with new ID numbers) ready for ``insert_new``, made column by
    column."""
    rows = [item.values for item in batch]
    numbers = [row.id_number for row in rows]
    keys = [item.key for item in batch]
    count = len(batch)
    # The ID number is validated (18 characters, upper case): its masked form needs no more checks.
    masked = [f"{n[:4]}**********{n[14:]}" for n in numbers]
    columns: list[Sequence[Any]] = [*new_columns(rows), keys, vault.encrypt_many(numbers), masked]
    # The same value in every row (opted_out, created_at, updated_at, campaign): converted once.
    same = converted_columns(dialect, TRAINEES, _SAME, [[False], [now], [now], [campaign]])
    return NewRows(
        converted_columns(dialect, TRAINEES, _VARYING, columns) + [[value[0]] * count for value in same],
        keys,
        [row.posts or () for row in rows],
        campaign,
    )


def insert_new(conn: Connection, new: NewRows) -> None:
    """Insert the trainees and their posts, in the connection's transaction."""
    if not new.keys:
        return
    if conn.dialect.name == "postgresql":
        ids = _draw_ids(conn, len(new.keys))
        rows = list(zip(ids, *new.columns, strict=True))
        bulk_insert_tuples(conn, TRAINEES, ("id", *_INSERTED), rows, ready=True)
    else:
        last_id = conn.execute(select(func.coalesce(func.max(TRAINEES.c.id), 0))).scalar_one()
        bulk_insert_tuples(conn, TRAINEES, _INSERTED, list(zip(*new.columns, strict=True)), ready=True)
        by_key = _sqlite_ids(conn, new.keys) or _inserted_ids(conn, new.keys, last_id, new.campaign)
        ids = [by_key[key] for key in new.keys]
    write_posts(conn, zip(ids, new.posts, strict=True))


def _draw_ids(conn: Connection, count: int) -> list[int]:
    """``count`` new ids from the trainees' sequence (PostgreSQL)."""
    return list(conn.execute(_DRAW_IDS, {"count": count}).scalar_one())


def write_posts(conn: Connection, posts: Iterable[tuple[int, tuple[str, ...]]]) -> None:
    """Insert each trainee's posts, in order."""
    rows = [(tid, p, i) for tid, ps in posts for i, p in enumerate(ps)]
    bulk_insert_tuples(conn, POSTS, _POST_COLUMNS, rows)


def _inserted_ids(conn: Connection, keys: list[str], last_id: int, campaign: str) -> dict[str, int]:
    """The ids of the rows just inserted, by their lookup hash."""
    wanted = set(keys)
    found = conn.execute(
        select(TRAINEES.c.id_hash, TRAINEES.c.id).where(
            TRAINEES.c.id > last_id, TRAINEES.c.campaign == campaign
        )
    ).all()
    return {id_hash: trainee_id for id_hash, trainee_id in found if id_hash in wanted}


def _sqlite_ids(conn: Connection, keys: list[str]) -> dict[str, int] | None:
    """On SQLite, the ids of the rows just inserted without reading them back: SQLite numbers a new row one
    past the largest id, and nobody else inserts inside this write transaction. None when that does not hold
    (the first and last rows are checked), or on another database."""
    if conn.dialect.name != "sqlite":
        return None
    last = conn.execute(select(func.max(TRAINEES.c.id))).scalar_one()
    first = last - len(keys) + 1
    ends = dict(
        conn.execute(select(TRAINEES.c.id, TRAINEES.c.id_hash).where(TRAINEES.c.id.in_((first, last)))).all()
    )
    if ends.get(first) != keys[0] or ends.get(last) != keys[-1]:
        return None
    return dict(zip(keys, range(first, last + 1), strict=True))
