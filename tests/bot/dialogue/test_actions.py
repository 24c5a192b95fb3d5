"""Actions never by accident: on both engines (in-process, a Rasa server) only a command acts.

The Rasa side is a real HTTP server (tests/fakes/rasa_server.py) that, like a DIET model, is sure of
"unsubscribe" for anything mentioning it; the dialogue's guard must still tell a question from a command.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.dialogue.brain import Brain
from bot.dialogue.desk import LedgerDesk
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound, Reply
from knowledge.campaign import Campaign
from knowledge.status import TraineeRecord
from ledger.binding import BindingService
from ledger.store import MemoryLedgerStore
from nlu.interpreter import Interpreter
from nlu.rasa_http import RasaHttpInterpreter
from tests.fakes.rasa_server import FakeRasa
from tests.records import trainee

NOW = dt.datetime(2023, 11, 24, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LIU_ID = "430621199208284985"
PHONE = "13207425393"
CHAT = "4242"

OPT_OUT = ["TD", "T", "td", "ｔｄ", "退订", "取消提醒", "不要再给我发短信了"]
NOT_OPT_OUT = ["退订是什么意思", "我要退订吗", "n", "N", "t", "怎么退订", "我不退订"]
UNBIND = ["解绑", "帮我解绑"]
NOT_UNBIND = ["解绑是什么意思", "我要解绑吗", "怎么解绑", "不要解绑"]
ABOUT_BINDING = [  # a question about binding, from a chat not bound yet: answered, no prompt for an ID number
    ("绑定之后能干嘛", "ask_bind", "学员记录关联"),
    ("绑定完系统会自己跳到学习界面么", "ask_wechat_binding", "扫码"),
]
RESUME = ["订阅", "恢复提醒"]
NOT_RESUME = ["订阅是什么意思", "要订阅吗"]


class Conversation:
    """A trainee bound to a Telegram chat, with reminders on or off, talking to one brain."""

    def __init__(self, campaign: Campaign, interpreter: Interpreter, *, opted_out: bool) -> None:
        clock = FixedClock(NOW)
        self.store = MemoryLedgerStore()
        record = trainee(trainee_id=0, id_masked="", phone=PHONE, opted_out=opted_out)
        self.trainee_id = self.store.add(LIU_ID, record).trainee_id
        self.store.bind("telegram", CHAT, self.trainee_id)
        desk = LedgerDesk(self.store, BindingService(self.store, clock), clock, campaign)
        self.brain = Brain(campaign, interpreter, clock, personal=lambda: desk)

    async def say(self, text: str, channel: str = "telegram", address: str = CHAT) -> Reply:
        # In a thread: the Rasa engine asks a server that runs on this event loop.
        return await asyncio.to_thread(self.brain.handle, Inbound(channel, address, text))

    @property
    def record(self) -> TraineeRecord:
        found = self.store.get(self.trainee_id)
        assert found is not None
        return found

    @property
    def bound(self) -> bool:
        return self.store.binding("telegram", CHAT) == self.trainee_id


MakeServer = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture(params=["in-process", "rasa"])
async def engine(
    request: pytest.FixtureRequest, interpreter: Interpreter, aiohttp_server: MakeServer
) -> Interpreter:
    """Each engine the brain can run on: the in-process NLU, or a Rasa server over HTTP."""
    if request.param == "in-process":
        return interpreter
    rasa = FakeRasa()
    server = await aiohttp_server(rasa.build_app())
    return RasaHttpInterpreter(str(server.make_url("/")), threshold=0.3)


@pytest.mark.parametrize("text", OPT_OUT)
async def test_a_command_opts_out(campaign: Campaign, engine: Interpreter, text: str) -> None:
    talk = Conversation(campaign, engine, opted_out=False)
    reply = await talk.say(text)
    assert reply.intent == "unsubscribe" and "已退订" in reply.text
    assert talk.record.opted_out


@pytest.mark.parametrize("text", OPT_OUT[:3])
async def test_a_command_by_sms_opts_out_the_phone_on_record(
    campaign: Campaign, engine: Interpreter, text: str
) -> None:
    talk = Conversation(campaign, engine, opted_out=False)
    assert (await talk.say(text, channel="sms", address=PHONE)).intent == "unsubscribe"
    assert talk.record.opted_out


@pytest.mark.parametrize("text", NOT_OPT_OUT)
async def test_a_question_or_a_slip_does_not_opt_out(
    campaign: Campaign, engine: Interpreter, text: str
) -> None:
    talk = Conversation(campaign, engine, opted_out=False)
    reply = await talk.say(text)
    assert reply.intent != "unsubscribe" and "已退订" not in reply.text
    assert not talk.record.opted_out
    by_sms = await talk.say(text, channel="sms", address=PHONE)
    assert by_sms.intent != "unsubscribe" and not talk.record.opted_out


@pytest.mark.parametrize("text", ["退订是什么意思", "我要退订吗", "怎么退订"])
async def test_a_question_about_opting_out_says_what_it_means_and_how(
    campaign: Campaign, engine: Interpreter, text: str
) -> None:
    reply = await Conversation(campaign, engine, opted_out=False).say(text)
    assert reply.intent == "ask_unsubscribe"
    assert "不再收到" in reply.text and "TD" in reply.text


@pytest.mark.parametrize("text", UNBIND)
async def test_a_command_unbinds(campaign: Campaign, engine: Interpreter, text: str) -> None:
    talk = Conversation(campaign, engine, opted_out=False)
    assert (await talk.say(text)).text.startswith("已解除绑定")
    assert not talk.bound


@pytest.mark.parametrize("text", NOT_UNBIND)
async def test_a_question_about_unbinding_keeps_the_binding(
    campaign: Campaign, engine: Interpreter, text: str
) -> None:
    talk = Conversation(campaign, engine, opted_out=False)
    reply = await talk.say(text)
    assert reply.intent != "unbind" and "已解除绑定" not in reply.text
    assert talk.bound
    if text != "不要解绑":
        assert reply.intent == "ask_unbind" and "单独发送“解绑”" in reply.text


@pytest.mark.parametrize(("text", "intent", "says"), ABOUT_BINDING)
async def test_a_question_about_binding_is_answered_without_the_prompt(
    campaign: Campaign, engine: Interpreter, text: str, intent: str, says: str
) -> None:
    reply = await Conversation(campaign, engine, opted_out=False).say(text, address="new-chat")
    assert reply.intent == intent and says in reply.text
    assert "请发送身份证号和姓名" not in reply.text


@pytest.mark.parametrize("text", RESUME)
async def test_a_command_resumes_reminders(campaign: Campaign, engine: Interpreter, text: str) -> None:
    talk = Conversation(campaign, engine, opted_out=True)
    assert (await talk.say(text)).intent == "subscribe"
    assert not talk.record.opted_out


@pytest.mark.parametrize("text", NOT_RESUME)
async def test_a_question_about_resuming_changes_nothing(
    campaign: Campaign, engine: Interpreter, text: str
) -> None:
    talk = Conversation(campaign, engine, opted_out=True)
    reply = await talk.say(text)
    assert reply.intent == "ask_unsubscribe" and "订阅" in reply.text
    assert talk.record.opted_out
