import dataclasses
import datetime as dt

from bot.kernel.clock import FixedClock
from ledger.binding import BindingService
from ledger.store import MemoryLedgerStore, SQLAlchemyLedgerStore
from tests.records import trainee

ID_NUMBER = "430602199001011235"
# Valid check digit, not in the ledger.
OTHER_ID = "430621199208284985"

Store = MemoryLedgerStore | SQLAlchemyLedgerStore

LIU = trainee(trainee_id=0, id_masked="", registered=True, online_hours=6)


def test_bind_with_the_right_id_number_and_name(store: Store, clock: FixedClock) -> None:
    stored = store.add(ID_NUMBER, LIU)
    service = BindingService(store, clock)
    result = service.bind("telegram", "42", ID_NUMBER, " 刘 洋 ")
    assert result.ok and result.reason is None
    assert result.record == stored
    assert service.record_for("telegram", "42") == stored
    assert service.record_for("telegram", "43") is None
    assert service.unbind("telegram", "42")
    assert not service.unbind("telegram", "42")
    assert service.record_for("telegram", "42") is None


def test_unknown_id_and_wrong_name_get_the_same_answer(store: Store, clock: FixedClock) -> None:
    store.add(ID_NUMBER, LIU)
    service = BindingService(store, clock)
    wrong_name = service.bind("telegram", "42", ID_NUMBER, "张伟")
    unknown_id = service.bind("telegram", "42", OTHER_ID, "刘洋")
    assert wrong_name == unknown_id
    assert wrong_name.reason == "no_match" and wrong_name.record is None
    assert service.record_for("telegram", "42") is None


def test_a_bad_check_digit_is_invalid_id(store: Store, clock: FixedClock) -> None:
    store.add(ID_NUMBER, LIU)
    result = BindingService(store, clock).bind("telegram", "42", "430602199001011230", "刘洋")
    assert not result.ok and result.reason == "invalid_id"


def test_five_failures_in_an_hour_lock_the_address(store: Store, clock: FixedClock) -> None:
    store.add(ID_NUMBER, LIU)
    service = BindingService(store, clock)
    for _ in range(5):
        assert service.bind("telegram", "42", ID_NUMBER, "张伟").reason == "no_match"
        clock.advance(dt.timedelta(minutes=5))
    # Even the right answer is refused now, and so without counting a new failure.
    assert service.bind("telegram", "42", ID_NUMBER, "刘洋").reason == "rate_limited"
    # Another conversation is not affected.
    assert service.bind("telegram", "43", ID_NUMBER, "刘洋").ok
    # An hour after the first failure the window has room again.
    clock.advance(dt.timedelta(minutes=36))
    assert service.bind("telegram", "42", ID_NUMBER, "刘洋").ok


def test_limits_are_configurable(store: Store, clock: FixedClock) -> None:
    store.add(ID_NUMBER, dataclasses.replace(LIU))
    service = BindingService(store, clock, max_failures=1, window=dt.timedelta(minutes=10))
    assert service.bind("sms", "13207425393", "bad", "刘洋").reason == "invalid_id"
    assert service.bind("sms", "13207425393", ID_NUMBER, "刘洋").reason == "rate_limited"
    clock.advance(dt.timedelta(minutes=11))
    assert service.bind("sms", "13207425393", ID_NUMBER, "刘洋").ok
