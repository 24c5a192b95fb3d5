"""Statements sent together (PostgreSQL's pipeline mode): all applied, or an error as SQLAlchemy's, nothing kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.inbound import INBOUND
from ledger.pipeline import pipelined
from tests.ledger.test_inbound import NOW

# Inside the block only statements whose results nobody reads: UPDATEs here (a plain INSERT would read
# its new id back by RETURNING; the service's INSERTs read from arrays, which SQLAlchemy does not).
ROW = {"channel": "sms", "address": "13900000001", "text": "你好", "received_at": NOW, "claimed_at": NOW}


@pytest.fixture
def messages(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.execute(insert(INBOUND), [{**ROW, "provider_id": f"p{n}"} for n in range(5)])
    return engine


def handled(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        query = select(INBOUND.c.provider_id).where(INBOUND.c.handled_at.is_not(None))
        return sorted(conn.execute(query).scalars())


def mark(provider_id: str) -> Any:
    return update(INBOUND).where(INBOUND.c.provider_id == provider_id).values(handled_at=NOW)


def test_statements_in_the_block_are_all_applied_with_the_transaction(messages: Engine) -> None:
    with messages.begin() as conn:
        with pipelined(conn):
            conn.execute(mark("p1"))
            conn.execute(mark("p3"))
        # after the block, results are read as usual, in the same transaction
        query = select(INBOUND.c.provider_id).where(INBOUND.c.handled_at.is_not(None))
        assert sorted(conn.execute(query).scalars()) == ["p1", "p3"]
    assert handled(messages) == ["p1", "p3"]


def test_an_error_in_the_block_is_sqlalchemys_and_nothing_is_kept(messages: Engine) -> None:
    taken = update(INBOUND).where(INBOUND.c.provider_id == "p2").values(provider_id="p1")
    with pytest.raises(IntegrityError), messages.begin() as conn, pipelined(conn):
        conn.execute(mark("p1"))
        conn.execute(taken)  # a key another row has
        conn.execute(mark("p3"))
    assert handled(messages) == []
    with messages.begin() as conn:  # the pooled connection is usable again
        conn.execute(mark("p4"))
    assert handled(messages) == ["p4"]


def test_on_postgresql_the_block_is_sent_in_pipeline_mode(messages: Engine) -> None:
    if messages.dialect.name != "postgresql":
        pytest.skip("SQLite runs each statement as it comes")
    from psycopg.pq import PipelineStatus

    with messages.begin() as conn:
        raw: Any = conn.connection.driver_connection
        with pipelined(conn):
            for n in range(5):
                conn.execute(mark(f"p{n}"))
            during = raw.pgconn.pipeline_status
        after = raw.pgconn.pipeline_status
    assert (during, after) == (PipelineStatus.ON, PipelineStatus.OFF)
    assert len(handled(messages)) == 5


def test_statements_run_on_the_callers_connection(messages: Engine) -> None:
    seen: list[str] = []
    event.listen(messages, "before_cursor_execute", lambda *args: seen.append(args[2]))
    with messages.begin() as conn, pipelined(conn):
        conn.execute(mark("p1"))
    assert len(seen) == 1 and seen[0].startswith("UPDATE inbound_messages")
