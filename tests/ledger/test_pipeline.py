"""Statements sent together (PostgreSQL's pipeline mode): all applied, or an error as SQLAlchemy's, nothing kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.inbound import INBOUND
from ledger.pipeline import one_trip, pipelined, read_later
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


def test_one_trip_commits_its_statements_and_reads_their_rows_after(messages: Engine) -> None:
    marked = update(INBOUND).where(INBOUND.c.provider_id >= "p1", INBOUND.c.provider_id != "p2")
    marked = marked.where(INBOUND.c.provider_id <= "p3").values(handled_at=NOW)
    with one_trip(messages) as conn:
        conn.execute(mark("p0"))  # a write nobody reads
        returned = read_later(conn, marked.returning(INBOUND.c.provider_id), {})
        counted = read_later(conn, select(func.count()).where(INBOUND.c.handled_at.is_not(None)), {})
    assert sorted(row[0] for row in returned.all()) == ["p1", "p3"]
    assert counted.all() == [(3,)]  # it saw the statements before it, in the same transaction
    assert handled(messages) == ["p0", "p1", "p3"]


@pytest.mark.parametrize("failure", ["a statement", "the caller"])
def test_one_trip_keeps_nothing_when_it_fails_and_its_connection_serves_again(
    messages: Engine, failure: str
) -> None:
    taken = update(INBOUND).where(INBOUND.c.provider_id == "p2").values(provider_id="p1")
    expected = IntegrityError if failure == "a statement" else KeyError
    with pytest.raises(expected), one_trip(messages) as conn:
        conn.execute(mark("p1"))
        read_later(conn, select(func.count()).select_from(INBOUND), {})
        if failure == "a statement":
            conn.execute(taken)  # a key another row has
        else:
            raise KeyError("the batch failed before its end")
    assert handled(messages) == []
    with one_trip(messages) as conn:  # the pooled connection is usable again, in a transaction of its own
        conn.execute(mark("p4"))
    with messages.connect() as conn:
        conn.execute(mark("p2"))
        conn.rollback()  # not in autocommit: a plain connection still needs its commit
    assert handled(messages) == ["p4"]


def test_on_postgresql_one_trip_sends_begin_and_commit_in_its_pipeline(messages: Engine) -> None:
    if messages.dialect.name != "postgresql":
        pytest.skip("SQLite runs each statement as it comes")
    from psycopg.pq import PipelineStatus, TransactionStatus

    with one_trip(messages) as conn:
        raw: Any = conn.connection.driver_connection
        conn.execute(mark("p1"))
        # psycopg sent no BEGIN of its own (it would have waited for its answer): ours is in the pipeline
        during = (raw.pgconn.pipeline_status, raw.autocommit)
    after = (raw.pgconn.pipeline_status, raw.autocommit, raw.info.transaction_status)
    assert during == (PipelineStatus.ON, True)
    assert after == (PipelineStatus.OFF, False, TransactionStatus.IDLE)
    assert handled(messages) == ["p1"]


def test_read_later_refuses_an_in_list_in_a_pipeline(messages: Engine) -> None:
    if messages.dialect.name != "postgresql":
        pytest.skip("SQLite runs each statement as it comes")
    listed = select(INBOUND.c.provider_id).where(INBOUND.c.provider_id.in_(["p1", "p3"]))
    with pytest.raises(ValueError, match="IN list"), one_trip(messages) as conn:
        read_later(conn, listed, {})
