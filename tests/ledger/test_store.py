import datetime as dt

import pytest
from sqlalchemy import Engine, text

from bot.kernel.clock import FixedClock
from knowledge.status import TraineeRecord
from ledger.crypto import IdVault
from ledger.store import LedgerStore, MemoryLedgerStore, SQLAlchemyLedgerStore
from tests.records import trainee
from tests.timezone import SHANGHAI

ID_NUMBER = "430602199001011235"
AT = dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI)


def liu(**changes: object) -> TraineeRecord:
    defaults = {
        "trainee_id": 0,
        "id_masked": "",
        "posts": ("资料员", "安全员"),
        "registered": True,
        "confirmed": True,
    }
    more = {"confirmed_on": dt.date(2023, 10, 27), "online_hours": 23.5, "offline_hours": 4.0}
    return trainee(**{**defaults, **more, **changes})


Store = MemoryLedgerStore | SQLAlchemyLedgerStore


def test_records_round_trip(store: Store) -> None:
    stored = store.add(ID_NUMBER, liu())
    assert stored.id_masked == "4306**********1235"
    assert store.get(stored.trainee_id) == stored
    assert stored == liu(trainee_id=stored.trainee_id, id_masked="4306**********1235")
    assert list(store.records()) == [stored]
    assert store.get(stored.trainee_id + 100) is None


def test_find_by_id_number_accepts_a_lower_case_x(store: Store) -> None:
    stored = store.add("43060319820821308X", liu(name="吴磊"))
    assert store.find_by_id_number("43060319820821308x") == stored
    assert store.find_by_id_number(ID_NUMBER) is None


def test_find_by_phone(store: Store) -> None:
    stored = store.add(ID_NUMBER, liu())
    store.add("43060319820821308X", liu(name="吴磊", phone=None))
    assert store.find_by_phone("13207425393") == stored
    assert store.find_by_phone("+86 132-0742-5393") == stored
    assert store.find_by_phone("13800000000") is None


def test_bindings(store: Store) -> None:
    first = store.add(ID_NUMBER, liu())
    second = store.add("43060319820821308X", liu(name="吴磊"))
    assert store.binding("telegram", "42") is None
    store.bind("telegram", "42", first.trainee_id)
    store.bind("sms", "13207425393", first.trainee_id)
    assert store.binding("telegram", "42") == first.trainee_id
    store.bind("telegram", "42", second.trainee_id)
    assert store.binding("telegram", "42") == second.trainee_id
    assert store.unbind("telegram", "42")
    assert not store.unbind("telegram", "42")
    assert store.binding("telegram", "42") is None
    assert store.binding("sms", "13207425393") == first.trainee_id


def test_bind_failures_count_per_address_since_a_moment(store: Store) -> None:
    for minutes in (0, 30, 61):
        store.add_bind_failure("telegram", "42", AT + dt.timedelta(minutes=minutes))
    store.add_bind_failure("telegram", "43", AT)
    assert store.bind_failures_since("telegram", "42", AT) == 3
    assert store.bind_failures_since("telegram", "42", AT + dt.timedelta(minutes=1)) == 2
    assert store.bind_failures_since("sms", "42", AT) == 0


def test_opting_out(store: Store) -> None:
    stored = store.add(ID_NUMBER, liu())
    store.set_opted_out(stored.trainee_id, True)
    record = store.get(stored.trainee_id)
    assert record is not None and record.opted_out
    store.set_opted_out(stored.trainee_id, False)
    record = store.get(stored.trainee_id)
    assert record is not None and not record.opted_out


def test_message_log_masks_id_numbers_and_lists_unanswered(store: Store) -> None:
    store.log_message("telegram", "42", "in", f"绑定 {ID_NUMBER} 刘洋", "bind", AT)
    store.log_message("telegram", "42", "in", "食堂几点开门", "nlu_fallback", AT + dt.timedelta(minutes=1))
    store.log_message("telegram", "42", "out", "抱歉，我没听懂", "nlu_fallback", AT + dt.timedelta(minutes=1))
    store.log_message("sms", "13207425393", "in", "停车场在哪", "nlu_fallback", AT + dt.timedelta(minutes=2))
    store.log_message(
        "sms", "13207425393", "in", "能开发票吗", "ask_not_in_notice", AT + dt.timedelta(minutes=3)
    )
    unanswered = store.unanswered(10)
    assert [(m.channel, m.text) for m in unanswered] == [
        ("sms", "能开发票吗"),
        ("sms", "停车场在哪"),
        ("telegram", "食堂几点开门"),
    ]
    assert unanswered[0].at == AT + dt.timedelta(minutes=3)
    assert len(store.unanswered(1)) == 1
    with pytest.raises(ValueError, match="direction"):
        store.log_message("telegram", "42", "sideways", "x", None, AT)


def test_the_database_never_holds_a_full_id_number(engine: Engine, vault: IdVault, clock: FixedClock) -> None:
    store = SQLAlchemyLedgerStore(engine, vault, clock)
    store.add(ID_NUMBER, liu())
    store.log_message("telegram", "42", "in", f"我的身份证{ID_NUMBER}，姓名刘洋", "bind", AT)
    store.log_message("telegram", "42", "in", "43060319820821308x", "nlu_fallback", AT)
    assert [m.text for m in store.unanswered(10)] == ["4306**********308X"]
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT text FROM messages ORDER BY id")).scalars().all()
        trainee = conn.execute(text("SELECT id_hash, id_cipher, id_masked FROM trainees")).one()
    assert logged[0] == "我的身份证4306**********1235，姓名刘洋"
    assert all(ID_NUMBER not in str(value) for value in trainee)
    assert vault.decrypt(trainee.id_cipher) == ID_NUMBER


def test_both_stores_satisfy_the_protocol(store: Store) -> None:
    typed: LedgerStore = store
    assert typed.binding("x", "y") is None
