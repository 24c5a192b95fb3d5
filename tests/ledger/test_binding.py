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

# Without a phone in the ledger, binding from a chat needs no code (tests/bot/dialogue/test_bind_code.py).
LIU = trainee(trainee_id=0, id_masked="", registered=True, online_hours=6, phone=None)
LIU_WITH_PHONE = trainee(trainee_id=0, id_masked="", phone="13207425393")


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
    store.add(ID_NUMBER, dataclasses.replace(LIU_WITH_PHONE))
    service = BindingService(store, clock, max_failures=1, window=dt.timedelta(minutes=10))
    assert service.bind("sms", "13207425393", "bad", "刘洋").reason == "invalid_id"
    assert service.bind("sms", "13207425393", ID_NUMBER, "刘洋").reason == "rate_limited"
    clock.advance(dt.timedelta(minutes=11))
    assert service.bind("sms", "13207425393", ID_NUMBER, "刘洋").ok


def test_a_chat_binding_a_trainee_with_a_phone_waits_for_the_code(store: Store, clock: FixedClock) -> None:
    stored = store.add(ID_NUMBER, LIU_WITH_PHONE)
    service = BindingService(store, clock)
    result = service.bind("telegram", "42", ID_NUMBER, "刘洋")
    assert (result.ok, result.reason, result.record) == (False, "code_sent", stored)
    assert result.code is not None and len(result.code) == 6 and result.code.isdigit()
    assert result.code not in repr(result)
    assert service.record_for("telegram", "42") is None  # nothing moves before the code
    assert service.confirm("telegram", "43", result.code).reason == "code_expired"  # another chat has none
    confirmed = service.confirm("telegram", "42", result.code)
    assert confirmed.ok and confirmed.record == stored
    assert service.record_for("telegram", "42") == stored
    assert service.confirm("telegram", "42", result.code).reason == "code_expired"  # used up


def test_the_ledger_phone_and_local_channels_need_no_code(store: Store, clock: FixedClock) -> None:
    store.add(ID_NUMBER, LIU_WITH_PHONE)
    service = BindingService(store, clock)
    assert service.bind("sms", "+86 132-0742-5393", ID_NUMBER, "刘洋").ok
    assert service.bind("terminal", "staff", ID_NUMBER, "刘洋").ok
    assert service.bind("sms", "13800000000", ID_NUMBER, "刘洋").reason == "code_sent"  # another phone


def test_a_code_lapses_after_ten_minutes(store: Store, clock: FixedClock) -> None:
    store.add(ID_NUMBER, LIU_WITH_PHONE)
    service = BindingService(store, clock)
    code = service.bind("telegram", "42", ID_NUMBER, "刘洋").code
    assert code is not None
    clock.advance(dt.timedelta(minutes=10))
    assert service.confirm("telegram", "42", code).reason == "code_expired"
    assert service.record_for("telegram", "42") is None


def test_asking_again_within_a_minute_sends_no_second_code(store: Store, clock: FixedClock) -> None:
    store.add(ID_NUMBER, LIU_WITH_PHONE)
    service = BindingService(store, clock)
    first = service.bind("telegram", "42", ID_NUMBER, "刘洋").code
    again = service.bind("telegram", "42", ID_NUMBER, "刘洋")
    assert again.reason == "code_sent" and again.code is None
    clock.advance(dt.timedelta(minutes=2))
    fresh = service.bind("telegram", "42", ID_NUMBER, "刘洋").code
    assert fresh is not None and first is not None
    if fresh != first:  # one in a million they match
        assert service.confirm("telegram", "42", first).reason == "wrong_code"
    assert service.confirm("telegram", "42", fresh).ok


def test_wrong_codes_count_as_failures_and_lock_the_address(store: Store, clock: FixedClock) -> None:
    store.add(ID_NUMBER, LIU_WITH_PHONE)
    service = BindingService(store, clock)
    code = service.bind("telegram", "42", ID_NUMBER, "刘洋").code
    assert code is not None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert service.confirm("telegram", "42", wrong).reason == "wrong_code"
    assert service.confirm("telegram", "42", code).reason == "rate_limited"
    assert service.record_for("telegram", "42") is None
    clock.advance(dt.timedelta(hours=1, minutes=1))
    # The code was dropped when the address locked: a fresh binding starts over.
    assert service.confirm("telegram", "42", code).reason == "code_expired"
