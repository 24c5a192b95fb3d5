"""The inbound stores: one body for the in-memory and the SQL store, then what only the SQL store does."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from bot.kernel.personal_data import normalize_phone
from ledger.db import make_engine, migrate
from ledger.inbound import INBOUND, Claim, InboundStore, MemoryInboundStore, SqlInboundStore
from tests.conftest import clean_database_url
from tests.timezone import SHANGHAI

NOW = dt.datetime(2023, 11, 24, 22, 0, tzinfo=SHANGHAI)
PHONE = "13812345678"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InboundStore]:
    if request.param == "memory":
        yield MemoryInboundStore()
        return
    engine = make_engine(clean_database_url(request.param, tmp_path))
    migrate(engine)
    yield SqlInboundStore(engine)
    engine.dispose()


def test_a_message_is_claimed_once_per_channel_and_then_handled(store: InboundStore) -> None:
    assert store.claim("sms", "p-1", PHONE, "你好", NOW) == "new"
    assert store.claim("sms", "p-1", PHONE, "你好", NOW) == "in_flight"
    store.handled("sms", "p-1", NOW)
    assert store.claim("sms", "p-1", PHONE, "你好", NOW) == "handled"
    assert store.claim("sms", "p-2", PHONE, "你好", NOW) == "new"
    assert store.claim("telegram", "p-1", "77", "你好", NOW) == "new"


def race(times: int, attempt: Callable[[], Claim]) -> list[Claim]:
    results: list[Claim] = []
    barrier = threading.Barrier(times)

    def one() -> None:
        barrier.wait()
        results.append(attempt())

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


def test_of_concurrent_deliveries_one_claims(store: InboundStore) -> None:
    results = race(8, lambda: store.claim("sms", "race", PHONE, "你好", NOW))
    assert results == ["in_flight"] * 7 + ["new"]


def test_a_lapsed_claim_is_taken_over_by_one_retry(store: InboundStore) -> None:
    """The claimer died between its claim and its answer: a retry a minute later answers instead."""
    assert store.claim("sms", "p-1", PHONE, "你好", NOW) == "new"
    assert store.claim("sms", "p-1", PHONE, "你好", NOW + dt.timedelta(seconds=59)) == "in_flight"
    later = NOW + dt.timedelta(seconds=61)
    assert race(4, lambda: store.claim("sms", "p-1", PHONE, "你好", later)) == ["in_flight"] * 3 + [
        "taken_over"
    ]
    store.handled("sms", "p-1", later)
    assert store.claim("sms", "p-1", PHONE, "你好", later + dt.timedelta(hours=1)) == "handled"


def test_messages_are_counted_per_sender_and_hour(store: InboundStore) -> None:
    for n in range(3):
        store.claim("sms", f"a-{n}", PHONE, "你好", NOW + dt.timedelta(minutes=20 * n))
    store.claim("sms", "b-1", "13900000000", "你好", NOW)
    store.claim("telegram", "t-1", PHONE, "你好", NOW)
    assert store.count_from("sms", PHONE, NOW) == 3
    assert store.count_from("sms", PHONE, NOW + dt.timedelta(minutes=30)) == 1
    assert store.count_from("sms", "13900000000", NOW) == 1
    assert store.count_from("sms", "13700000000", NOW) == 0


def test_the_sql_store_remembers_across_a_restart(engine: Engine) -> None:
    assert SqlInboundStore(engine).claim("sms", "p-1", PHONE, "你好", NOW) == "new"
    SqlInboundStore(engine).handled("sms", "p-1", NOW)
    assert SqlInboundStore(engine).claim("sms", "p-1", PHONE, "你好", NOW + dt.timedelta(days=1)) == "handled"


def test_the_sql_store_keeps_the_address_and_masks_personal_data_in_the_text(engine: Engine) -> None:
    phone = normalize_phone("+86 138-1234-5678")
    message = "绑定 430602199001011237 张三，新号码13998765432"
    SqlInboundStore(engine).claim("sms", "p-9", phone, message, NOW)
    with engine.connect() as conn:
        row = conn.execute(select(INBOUND)).one()
    assert (row.channel, row.provider_id, row.address) == ("sms", "p-9", "13812345678")
    assert row.text == "绑定 4306**********1237 张三，新号码139****5432"
    assert row.received_at == NOW and row.received_at.tzinfo is not None
    assert row.claimed_at == NOW and row.handled_at is None


def test_messages_stored_before_claims_existed_count_as_handled(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0004_outbox_replies")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO inbound_messages (channel, provider_id, address, text, received_at)"
                    " VALUES ('sms', 'old-1', :phone, '你好', :t)"
                ),
                {"phone": PHONE, "t": NOW},
            )
        migrate(engine)
        assert (
            SqlInboundStore(engine).claim("sms", "old-1", PHONE, "你好", NOW + dt.timedelta(hours=1))
            == "handled"
        )
    finally:
        engine.dispose()


def test_claims_and_handled_marks_go_together_in_one_transaction(database_url: str) -> None:
    from ledger.db import make_engine, migrate
    from ledger.inbound import ClaimRequest, SqlInboundStore, claim_all, handled_all

    engine = make_engine(database_url)
    migrate(engine)
    store = SqlInboundStore(engine)
    now = dt.datetime(2023, 11, 24, 2, 0, tzinfo=dt.UTC)
    # Two deliveries of one message in the same batch: the first claims it, the second waits for it.
    batch = [
        ClaimRequest("sms", "m1", "13800000001", "你好", now),
        ClaimRequest("sms", "m2", "13800000002", "在吗", now),
    ]
    batch.append(ClaimRequest("sms", "m1", "13800000001", "你好", now))
    assert claim_all(store, batch) == ["new", "new", "in_flight"]
    handled_all(store, [("sms", "m1", now), ("sms", "m2", now)])
    assert claim_all(store, batch[:2]) == ["handled", "handled"]
    engine.dispose()


def test_a_batch_counts_the_senders_of_the_messages_it_answers(store: InboundStore) -> None:
    from ledger.inbound import ClaimRequest, intake_all

    hour = dt.timedelta(hours=1)
    for n in range(3):  # 10, 30 and 50 minutes ago; and one 70 minutes ago, not counted
        store.claim("sms", f"old-{n}", PHONE, "你好", NOW - dt.timedelta(minutes=20 * n + 10))
    store.claim("sms", "older", PHONE, "你好", NOW - dt.timedelta(minutes=70))
    store.claim("sms", "done", PHONE, "你好", NOW)
    store.handled("sms", "done", NOW)
    batch = [
        ClaimRequest("sms", "new-1", PHONE, "你好", NOW, hour),
        ClaimRequest("sms", "new-1", PHONE, "你好", NOW, hour),  # delivered twice in one batch
        ClaimRequest("sms", "done", PHONE, "你好", NOW, hour),
        ClaimRequest("sms", "done", PHONE, "你好", NOW, hour),
        ClaimRequest("sms", "other", "13900000000", "你好", NOW, hour),
        ClaimRequest("sms", "uncounted", "13700000000", "你好", NOW),
    ]
    found = [(i.claim, i.recent) for i in intake_all(store, batch)]
    # PHONE sent five this hour: old-0, old-1, old-2, done and new-1; the others are not counted.
    assert found == [
        ("new", 5),
        ("in_flight", 0),
        ("handled", 0),
        ("handled", 0),
        ("new", 1),
        ("new", 0),
    ]
