"""The dialogue's held writes: read back before they are committed, written by the next group commit, never lost.

Real SQLite and PostgreSQL; a transaction that fails keeps what it was to write for the next one.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, func, select, update

from bot.dialogue.conversation import ConversationState
from bot.dialogue.conversation_sql import STATES, SqlConversationStore
from bot.dialogue.held_writes import HeldConversations, HeldExchanges, Journal
from bot.kernel.messages import Inbound, Reply
from ledger.crypto import IdVault
from ledger.message_log import SqlMessageLog
from ledger.store import MESSAGES

NOW = dt.datetime(2023, 11, 24, 2, 0, tzinfo=dt.UTC)
VAULT = IdVault("held-writes-test-key")
SMS = ("sms", "13800000001")


def stored(engine: Engine, chat: tuple[str, str] = SMS) -> ConversationState:
    """What the database itself holds for a conversation (not what this instance holds)."""
    return SqlConversationStore(engine, VAULT).load(*chat, NOW)


def as_json(intent: str) -> str:
    """A stored state as another instance would have written it."""
    return json.dumps(ConversationState(previous_intent=intent, updated_at=NOW).as_dict())


def commit(engine: Engine, journal: Journal) -> None:
    with engine.begin() as conn:
        settle = journal.write(conn)
    settle()


def messages(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(MESSAGES)).scalar_one())


@pytest.fixture
def held(engine: Engine) -> HeldConversations:
    return HeldConversations(SqlConversationStore(engine, VAULT))


def test_a_held_state_is_read_back_at_once_and_stored_by_the_next_commit(
    engine: Engine, held: HeldConversations
) -> None:
    journal = Journal(held)
    with journal.holding():
        held.save(*SMS, ConversationState(previous_intent="ask_fee"), NOW)
    assert held.load(*SMS, NOW + dt.timedelta(seconds=1)).previous_intent == "ask_fee"
    assert stored(engine).previous_intent is None and len(held) == 1
    commit(engine, journal)
    assert stored(engine).previous_intent == "ask_fee" and len(held) == 0
    assert held.load(*SMS, NOW + dt.timedelta(seconds=1)).previous_intent == "ask_fee"


def test_a_state_saved_while_a_commit_writes_stays_held_for_the_next(
    engine: Engine, held: HeldConversations
) -> None:
    journal = Journal(held)
    with journal.holding():
        held.save(*SMS, ConversationState(previous_intent="ask_fee"), NOW)
        with engine.begin() as conn:
            settle = journal.write(conn)
            held.save(*SMS, ConversationState(previous_intent="ask_deadline"), NOW)
        settle()
    assert stored(engine).previous_intent == "ask_fee"
    assert held.load(*SMS, NOW).previous_intent == "ask_deadline"  # the newer one, not the committed one
    commit(engine, journal)
    assert stored(engine).previous_intent == "ask_deadline" and len(held) == 0


def test_a_failed_commit_keeps_the_writes_for_the_next_one(engine: Engine, held: HeldConversations) -> None:
    exchanges = HeldExchanges(SqlMessageLog(engine), lambda: NOW)
    journal = Journal(held, exchanges)
    with journal.holding():
        held.save(*SMS, ConversationState(previous_intent="ask_fee"), NOW)
        exchanges(Inbound("sms", SMS[1], "学费多少"), Reply("培训费100元", "ask_fee", 0.9))
    settle = None
    with pytest.raises(RuntimeError), engine.begin() as conn:
        settle = journal.write(conn)
        raise RuntimeError("the rest of the batch failed")
    assert settle is not None
    settle.failed()
    assert stored(engine).previous_intent is None and messages(engine) == 0
    assert len(held) == 1 and len(exchanges) == 1
    commit(engine, journal)
    assert stored(engine).previous_intent == "ask_fee" and messages(engine) == 2
    assert len(held) == 0 and len(exchanges) == 0


def test_two_commits_at_once_each_write_what_the_other_does_not(
    engine: Engine, held: HeldConversations
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: its group commits never overlap")
    exchanges = HeldExchanges(SqlMessageLog(engine), lambda: NOW)
    journal = Journal(held, exchanges)
    other = ("sms", "13800000002")
    with journal.holding():
        held.save(*SMS, ConversationState(previous_intent="ask_fee"), NOW)
        exchanges(Inbound("sms", SMS[1], "学费多少"), Reply("培训费100元", "ask_fee", 0.9))
        with engine.connect() as first_conn, engine.connect() as second_conn:
            first_conn.begin()
            first = journal.write(first_conn)  # under way: the second takes only what came after
            held.save(*other, ConversationState(previous_intent="ask_where"), NOW)
            exchanges(Inbound("sms", other[1], "在哪里"), Reply("在住建局", "ask_where", 0.9))
            second_conn.begin()
            second = journal.write(second_conn)
            second_conn.commit()  # the later one commits first
            second()
            assert stored(engine, other).previous_intent == "ask_where" and messages(engine) == 2
            assert stored(engine).previous_intent is None and len(held) == 1
            first_conn.commit()
            first()
    assert stored(engine).previous_intent == "ask_fee"
    assert messages(engine) == 4  # each exchange once (an inbound and a reply row each)
    assert len(held) == 0 and len(exchanges) == 0
    commit(engine, journal)  # nothing left to write
    assert messages(engine) == 4


def test_an_older_state_committed_last_does_not_overwrite_a_newer_one(engine: Engine) -> None:
    store = SqlConversationStore(engine, VAULT)
    later = NOW + dt.timedelta(seconds=5)
    store.save(*SMS, ConversationState(previous_intent="ask_deadline"), later)
    with engine.begin() as conn:  # the group commit that carried the earlier state, ending after
        store.save_many_on(conn, [(*SMS, ConversationState(previous_intent="ask_fee", updated_at=NOW))])
    assert stored(engine).previous_intent == "ask_deadline"
    store.save(*SMS, ConversationState(previous_intent="ask_where"), later)  # the same time: the last wins
    assert stored(engine).previous_intent == "ask_where"


def test_a_failed_commit_beside_another_leaves_its_writes_to_the_next(
    engine: Engine, held: HeldConversations
) -> None:
    exchanges = HeldExchanges(SqlMessageLog(engine), lambda: NOW)
    journal = Journal(held, exchanges)
    with journal.holding():
        held.save(*SMS, ConversationState(previous_intent="ask_fee"), NOW)
        exchanges(Inbound("sms", SMS[1], "学费多少"), Reply("培训费100元", "ask_fee", 0.9))
        with engine.connect() as conn:
            conn.begin()
            failing = journal.write(conn)
            conn.rollback()
            commit(engine, journal)  # while the first is not settled: nothing of the first one's
            assert stored(engine).previous_intent is None and messages(engine) == 0
            failing.failed()
    assert len(held) == 1 and len(exchanges) == 1
    commit(engine, journal)
    assert stored(engine).previous_intent == "ask_fee" and messages(engine) == 2


def test_outside_holding_a_brain_writes_at_once(engine: Engine, held: HeldConversations) -> None:
    exchanges = HeldExchanges(SqlMessageLog(engine), lambda: NOW)
    held.save(*SMS, ConversationState(previous_intent="ask_fee"), NOW)
    exchanges(Inbound("sms", SMS[1], "学费多少"), Reply("培训费100元", "ask_fee", 0.9))
    assert stored(engine).previous_intent == "ask_fee" and messages(engine) == 2
    assert len(held) == 0 and len(exchanges) == 0


def test_states_read_ahead_are_used_once_and_never_after_a_save(
    engine: Engine, held: HeldConversations
) -> None:
    other = ("telegram", "42")
    SqlConversationStore(engine, VAULT).save(*SMS, ConversationState(previous_intent="ask_fee"), NOW)
    with engine.begin() as conn:
        held.preload_on(conn, [SMS, other], NOW)
    # Changed behind this instance's back after the read: the state read ahead is what the brain gets ...
    with engine.begin() as conn:
        conn.execute(update(STATES).values(state=as_json("ask_where")))
    assert held.load(*SMS, NOW).previous_intent == "ask_fee"
    assert held.load(*other, NOW).previous_intent is None  # read ahead: it had none
    # ... once: the next load reads the database.
    assert held.load(*SMS, NOW).previous_intent == "ask_where"
    with engine.begin() as conn:
        held.preload_on(conn, [SMS], NOW)
    with Journal(held).holding():
        held.save(*SMS, ConversationState(previous_intent="ask_deadline"), NOW)
    assert held.load(*SMS, NOW).previous_intent == "ask_deadline"


def test_a_state_read_ahead_goes_stale_after_its_life(engine: Engine) -> None:
    held = HeldConversations(SqlConversationStore(engine, VAULT), preload_life=0.0)
    SqlConversationStore(engine, VAULT).save(*SMS, ConversationState(previous_intent="ask_fee"), NOW)
    with engine.begin() as conn:
        held.preload_on(conn, [SMS], NOW)
    with engine.begin() as conn:
        conn.execute(update(STATES).values(state=as_json("ask_where")))
    assert held.load(*SMS, NOW).previous_intent == "ask_where"


def test_a_conversation_idle_too_long_starts_afresh_even_when_held(held: HeldConversations) -> None:
    with Journal(held).holding():
        held.save(*SMS, ConversationState(previous_intent="ask_fee"), NOW)
    assert held.load(*SMS, NOW + dt.timedelta(hours=1)).previous_intent is None
