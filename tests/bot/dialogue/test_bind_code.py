"""Binding from a chat can't silently take over reminders: a code goes to the phone in the ledger first."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import Engine

from bot.dialogue.brain import Brain
from bot.dialogue.conversation_sql import SqlConversationStore
from bot.dialogue.desk import LedgerDesk
from bot.dialogue.notices import MemoryNotifier
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound, Reply
from knowledge.campaign import Campaign
from ledger.bind_codes import SqlBindCodeStore, code_key
from ledger.binding import BindingService
from ledger.crypto import IdVault
from ledger.store import LedgerStore, MemoryLedgerStore, SQLAlchemyLedgerStore
from nlu.interpreter import Interpreter
from tests.records import trainee

NOW = dt.datetime(2023, 11, 24, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LIU_ID = "430621199208284985"
WANG_ID = "430602199001011235"
PHONE = "13207425393"
BIND = f"绑定 {LIU_ID} 刘洋"
SENT = "验证码已发送到132****5393"


class Setup:
    """A brain on memory stores with a ledger of two: 刘洋 with a phone, 王芳 without."""

    def __init__(self, campaign: Campaign, interpreter: Interpreter, *, notifier: bool = True) -> None:
        self.clock = FixedClock(NOW)
        self.store = MemoryLedgerStore()
        self.liu = self.store.add(LIU_ID, trainee(trainee_id=0, id_masked="", phone=PHONE)).trainee_id
        self.wang = self.store.add(WANG_ID, trainee(trainee_id=0, id_masked="", name="王芳", phone=None))
        self.notifier = MemoryNotifier()
        binding = BindingService(self.store, self.clock)
        desk = LedgerDesk(self.store, binding, self.clock, campaign, self.notifier if notifier else None)
        self.brain = Brain(campaign, interpreter, self.clock, personal=lambda: desk)

    def say(self, text: str, channel: str = "telegram", address: str = "chat-1") -> Reply:
        return self.brain.handle(Inbound(channel, address, text))

    def code(self) -> str:
        found = re.search(r"\d{6}", self.notifier.sent[-1].text)
        assert found is not None
        return found.group(0)

    def bound(self, channel: str = "telegram", address: str = "chat-1") -> int | None:
        return self.store.binding(channel, address)


@pytest.fixture
def setup(campaign: Campaign, interpreter: Interpreter) -> Setup:
    return Setup(campaign, interpreter)


def test_a_chat_binds_only_with_the_code_sent_to_the_ledger_phone(setup: Setup) -> None:
    reply = setup.say(BIND)
    assert reply.intent == "bind" and SENT in reply.text and "请回复6位验证码" in reply.text
    assert setup.bound() is None
    assert "绑定" in setup.say("我还差几个学时").text  # not yet: still asked to bind
    [notice] = setup.notifier.sent
    assert notice.phone == PHONE and "10分钟内有效" in notice.text and LIU_ID not in notice.text
    assert len(notice.text) <= 70
    done = setup.say(setup.code())
    assert done.intent == "bind" and "绑定成功" in done.text
    assert setup.bound() == setup.liu


def test_the_short_form_says_where_the_code_went(setup: Setup) -> None:
    reply = setup.say(BIND, channel="sms", address="13800000000")  # another phone than the ledger's
    assert reply.text == "验证码已发送到132****5393，请回复6位验证码。"
    assert setup.notifier.sent[-1].phone == PHONE
    assert "绑定成功" in setup.say(setup.code(), channel="sms", address="13800000000").text
    assert setup.bound("sms", "13800000000") == setup.liu


def test_a_wrong_code_is_refused_and_the_right_one_still_works(setup: Setup) -> None:
    setup.say(BIND)
    wrong = f"{(int(setup.code()) + 1) % 1_000_000:06d}"
    assert "验证码不对" in setup.say(wrong).text
    assert setup.bound() is None
    assert "绑定成功" in setup.say(setup.code()).text


def test_five_wrong_codes_lock_the_chat_for_an_hour(setup: Setup) -> None:
    setup.say(BIND)
    code = setup.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert "验证码不对" in setup.say(wrong).text
    assert "尝试次数过多" in setup.say(code).text
    assert "尝试次数过多" in setup.say(BIND).text
    assert setup.bound() is None and len(setup.notifier.sent) == 1


def test_a_question_in_between_keeps_the_code_awaited(setup: Setup) -> None:
    setup.say(BIND)
    assert setup.say("费用").intent == "ask_fee"
    reply = setup.say("　" + " ".join(setup.code()) + "。")  # full-width blank, spaced digits: still the code
    assert "绑定成功" in reply.text


def test_a_code_lapses_after_ten_minutes(setup: Setup) -> None:
    setup.say(BIND)
    setup.clock.advance(dt.timedelta(minutes=11))
    assert "验证码已失效" in setup.say(setup.code()).text
    assert setup.bound() is None


def test_a_trainee_without_a_phone_binds_at_once(setup: Setup) -> None:
    assert "绑定成功" in setup.say(f"绑定 {WANG_ID} 王芳").text
    assert setup.bound() == setup.wang.trainee_id and setup.notifier.sent == []


def test_the_ledger_phone_itself_binds_by_sms_without_a_code(setup: Setup) -> None:
    assert "绑定成功" in setup.say(BIND, channel="sms", address=PHONE).text
    assert setup.bound("sms", PHONE) == setup.liu and setup.notifier.sent == []


def test_the_terminal_binds_without_a_code(setup: Setup) -> None:
    assert "绑定成功" in setup.say(BIND, channel="terminal", address="staff").text
    assert setup.notifier.sent == []


def test_without_an_sms_notifier_no_binding_happens(campaign: Campaign, interpreter: Interpreter) -> None:
    setup = Setup(campaign, interpreter, notifier=False)
    assert "暂时无法发送验证码" in setup.say(BIND).text
    assert setup.bound() is None


def test_the_code_sent_by_one_instance_is_accepted_by_another(
    engine: Engine, campaign: Campaign, interpreter: Interpreter
) -> None:
    """Two instances on one database: the code and the conversation live there, not in either process."""
    clock = FixedClock(NOW)
    vault = IdVault("test-secret-key")
    store = SQLAlchemyLedgerStore(engine, vault, clock)
    liu = store.add(LIU_ID, trainee(trainee_id=0, id_masked="", phone=PHONE)).trainee_id
    notifier = MemoryNotifier()

    def instance() -> Brain:
        ledger: LedgerStore = SQLAlchemyLedgerStore(engine, vault, clock)
        binding = BindingService(ledger, clock, codes=SqlBindCodeStore(engine), code_key=code_key("secret"))
        desk = LedgerDesk(ledger, binding, clock, campaign, notifier)
        conversations = SqlConversationStore(engine, vault)
        return Brain(campaign, interpreter, clock, personal=lambda: desk, conversations=conversations)

    first, second = instance(), instance()
    assert "还需要姓名" in first.handle(Inbound("telegram", "chat-9", LIU_ID)).text
    assert SENT in second.handle(Inbound("telegram", "chat-9", "刘洋")).text
    code = re.search(r"\d{6}", notifier.sent[-1].text)
    assert code is not None
    assert "绑定成功" in first.handle(Inbound("telegram", "chat-9", code.group(0))).text
    assert store.binding("telegram", "chat-9") == liu
