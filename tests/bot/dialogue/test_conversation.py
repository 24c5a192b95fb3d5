"""Conversation stores: one body for the in-memory and the SQL store, then what only the SQL store does."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.dialogue.brain import Brain
from bot.dialogue.conversation import ConversationState, ConversationStore, MemoryConversationStore
from bot.dialogue.conversation_sql import STATES, SqlConversationStore
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound
from ledger.crypto import IdVault
from ledger.db import make_engine, migrate
from tests.conftest import clean_database_url
from tests.timezone import SHANGHAI

NOW = dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI)
VAULT = IdVault("test-secret-key")
LIU_ID = "430621199208284985"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConversationStore]:
    if request.param == "memory":
        yield MemoryConversationStore()
        return
    engine = make_engine(clean_database_url(request.param, tmp_path))
    migrate(engine)
    yield SqlConversationStore(engine, VAULT)
    engine.dispose()


def test_a_new_conversation_starts_empty(store: ConversationStore) -> None:
    assert store.load("telegram", "42", NOW) == ConversationState()


def test_a_saved_state_comes_back_for_that_conversation_only(store: ConversationStore) -> None:
    state = ConversationState(
        previous_intent="ask_fee",
        awaiting="bind",
        pending_id=LIU_ID,
        pending_name="刘洋",
        offered=("ask_fee", "ask_hours"),
    )
    store.save("telegram", "42", state, NOW)
    later = NOW + dt.timedelta(minutes=5)
    loaded = store.load("telegram", "42", later)
    assert loaded == ConversationState("ask_fee", "bind", LIU_ID, "刘洋", ("ask_fee", "ask_hours"), NOW)
    assert loaded.updated_at is not None and loaded.updated_at.tzinfo is not None
    assert store.load("telegram", "43", later) == ConversationState()
    assert store.load("sms", "42", later) == ConversationState()


def test_a_change_counts_only_once_saved(store: ConversationStore) -> None:
    store.save("telegram", "42", ConversationState(previous_intent="ask_fee"), NOW)
    loaded = store.load("telegram", "42", NOW)
    loaded.previous_intent = "ask_hours"
    assert store.load("telegram", "42", NOW).previous_intent == "ask_fee"
    store.save("telegram", "42", loaded, NOW + dt.timedelta(minutes=1))
    assert store.load("telegram", "42", NOW).previous_intent == "ask_hours"


def test_a_state_lapses_thirty_minutes_after_its_last_message(store: ConversationStore) -> None:
    store.save("telegram", "42", ConversationState(previous_intent="ask_fee"), NOW)
    store.save(
        "telegram", "42", ConversationState(previous_intent="ask_hours"), NOW + dt.timedelta(minutes=20)
    )
    assert store.load("telegram", "42", NOW + dt.timedelta(minutes=49)).previous_intent == "ask_hours"
    assert store.load("telegram", "42", NOW + dt.timedelta(minutes=51)) == ConversationState()


def test_two_brains_on_one_sql_store_share_a_conversation(engine: Engine, campaign, interpreter) -> None:
    """Consecutive messages reaching two instances: the second keeps the first's topic and choices."""
    clock = FixedClock(NOW)
    first, second = (
        Brain(campaign, interpreter, clock, conversations=SqlConversationStore(engine, VAULT)) for _ in "ab"
    )
    assert first.handle(Inbound("telegram", "42", "电脑上怎么学习")).intent == "ask_pc_learning"
    assert second.handle(Inbound("telegram", "42", "那手机呢")).intent == "ask_mobile_learning"
    offered = first.handle(Inbound("telegram", "42", "今天天气怎么样"))
    assert offered.intent == "nlu_fallback" and "2. " in offered.text
    picked = second.handle(Inbound("telegram", "42", "2"))
    assert picked.confidence == 1.0 and picked.intent != "nlu_fallback"


def test_the_sql_store_keeps_a_pending_id_number_encrypted(engine: Engine) -> None:
    store = SqlConversationStore(engine, VAULT)
    store.save("telegram", "42", ConversationState(awaiting="bind", pending_id=LIU_ID), NOW)
    with engine.connect() as conn:
        raw = conn.execute(select(STATES.c.state)).scalar_one()
    assert LIU_ID not in raw and json.loads(raw)["pending_id"].startswith("v1:")
    # After a key rotation the held number is dropped, the rest of the state kept.
    rotated = SqlConversationStore(engine, IdVault("another-key"))
    assert rotated.load("telegram", "42", NOW) == ConversationState(awaiting="bind", updated_at=NOW)


def test_the_sql_store_purges_lapsed_rows(engine: Engine) -> None:
    store = SqlConversationStore(engine, VAULT)
    for n in range(3):
        store.save("telegram", str(n), ConversationState(previous_intent="ask_fee"), NOW)
    store.save("telegram", "late", ConversationState(), NOW + dt.timedelta(hours=1))  # ten minutes on: purges
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(STATES)).scalar_one() == 1
