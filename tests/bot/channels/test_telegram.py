"""The Telegram channel with the real python-telegram-bot against the fake Bot API, replies through the outbox."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.common import ServerServices
from bot.channels.telegram import (
    PLEASE_SEND_TEXT,
    TelegramChannel,
    TelegramGateway,
    build_application,
    command_text,
    file_url,
    read_update,
    running,
    split_text,
)
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound
from bot.kernel.settings import Settings
from ledger.inbound import SqlInboundStore
from reminders.dispatcher import DispatchSummary
from reminders.gateways import MemoryGateway
from reminders.outbox import OUTBOX
from reminders.policy import Reminder
from tests.bot.conftest import EchoResponder, outbox_services
from tests.fakes.build_updates import message_json, text_update
from tests.fakes.telegram_api import FakeTelegramApi
from tests.reminders.support import insert_trainees, record

PHONE = "13800000001"


@pytest.fixture
async def gateway(telegram_api: FakeTelegramApi) -> AsyncIterator[TelegramGateway]:
    gateway = TelegramGateway(telegram_api.token, telegram_api.base_url)
    yield gateway
    await gateway.aclose()


@pytest.fixture
def sms() -> MemoryGateway:
    return MemoryGateway()


@pytest.fixture
def services(
    tmp_path: Path,
    responder: EchoResponder,
    telegram_api: FakeTelegramApi,
    gateway: TelegramGateway,
    sms: MemoryGateway,
) -> Iterator[ServerServices]:
    settings = Settings(
        data_dir=tmp_path, telegram_token=telegram_api.token, telegram_api_url=telegram_api.base_url
    )
    with outbox_services(settings, responder, sms, gateways={"telegram": gateway}) as services:
        services.inbound_store = SqlInboundStore(services.outbox.engine)
        yield services


def clock(services: ServerServices) -> FixedClock:
    assert isinstance(services.clock, FixedClock)
    return services.clock


async def dispatch(services: ServerServices) -> DispatchSummary:
    assert services.dispatch_soon is not None
    summary = await services.dispatch_soon()
    assert isinstance(summary, DispatchSummary)
    return summary


def outbox(services: ServerServices) -> list[tuple[str, str, str, str]]:
    query = select(OUTBOX.c.idempotency_key, OUTBOX.c.channel, OUTBOX.c.status, OUTBOX.c.text).order_by(
        OUTBOX.c.id
    )
    with services.outbox.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


async def test_polling_answers_a_text_message_with_the_full_form_through_the_outbox(
    telegram_api: FakeTelegramApi, responder: EchoResponder, services: ServerServices
) -> None:
    application = build_application(services.settings, TelegramChannel(services))
    update = text_update(42, "怎么缴费")
    telegram_api.queue_update(update)
    async with running(application, poll_timeout=1):
        sent = await telegram_api.wait_for_sent(1)
    assert [(m.chat_id, m.text) for m in sent] == [(42, "[full] 怎么缴费")]
    assert responder.seen == [Inbound("telegram", "42", "怎么缴费")]
    key = f"reply:telegram:{update['update_id']}"
    assert outbox(services) == [(key, "telegram", "sent", "[full] 怎么缴费")]
    assert services.metrics.value("jxjy_replies", channel="telegram", intent="echo") == 1
    assert "deleteWebhook" in telegram_api.calls  # polling removes any webhook


async def test_commands_map_to_the_brain_and_unknown_ones_get_help(
    telegram_api: FakeTelegramApi, responder: EchoResponder, services: ServerServices
) -> None:
    application = build_application(services.settings, TelegramChannel(services))
    # One chat each: Telegram's pacing allows one message a second per chat.
    for chat, text in enumerate(
        ("/start", "/help@jxjy_test_bot", "/frobnicate", "/stop", "/resume", "/status")
    ):
        telegram_api.queue_update(text_update(50 + chat, text))
    telegram_api.queue_update(text_update(60, "/bind 430602199001011237 张三"))
    async with running(application, poll_timeout=1):
        sent = await telegram_api.wait_for_sent(7)
    assert [i.text for i in responder.seen] == [
        "你好",
        "帮助",
        "帮助",
        "退订",
        "订阅",
        "我的进度",
        "绑定 430602199001011237 张三",
    ]
    texts = {m.chat_id: m.text for m in sent}
    assert texts[50] == "您好！我是继续教育助手。"
    assert texts[52] == "可以问我报名、缴费、学时。"


def test_command_text() -> None:
    assert command_text("你好") == "你好"
    assert command_text("/BIND@jxjy_test_bot  4306 张三") == "绑定 4306 张三"
    assert command_text("/whatever x") == "帮助"


async def test_a_replayed_update_is_answered_once_and_edits_and_groups_not_at_all(
    responder: EchoResponder, services: ServerServices, telegram_api: FakeTelegramApi
) -> None:
    application = build_application(services.settings, TelegramChannel(services))
    channel = TelegramChannel(services)
    update = text_update(9, "学时不够怎么办")
    edited = {"update_id": 9001, "edited_message": {**message_json(9, "学时够吗"), "edit_date": 1700791300}}
    group = text_update(-100, "大家好")
    group["message"]["chat"] = {"id": -100, "type": "group", "title": "培训群"}
    async with running(application, webhook_url=None):
        results = [await channel.process(read_update(application, u)) for u in (update, update, update)]
        assert results == [True, False, False]
        assert not await channel.process(read_update(application, edited))
        assert not await channel.process(read_update(application, group))
    assert [i.text for i in responder.seen] == ["学时不够怎么办"]
    assert [row[0] for row in outbox(services)] == [f"reply:telegram:{update['update_id']}"]
    assert services.metrics.value("jxjy_inbound_duplicates", channel="telegram") == 2


async def test_non_text_gets_one_line_asking_for_text(
    responder: EchoResponder, services: ServerServices, telegram_api: FakeTelegramApi
) -> None:
    application = build_application(services.settings, TelegramChannel(services))
    sticker: dict[str, Any] = text_update(11, "x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "CAAC",
        "file_unique_id": "AgAD",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    telegram_api.queue_update(sticker)
    async with running(application, poll_timeout=1):
        sent = await telegram_api.wait_for_sent(1)
    assert [(m.chat_id, m.text) for m in sent] == [(11, PLEASE_SEND_TEXT)]
    assert "\n" not in PLEASE_SEND_TEXT
    assert responder.seen == []


async def test_flood_control_waits_as_long_as_telegram_says(
    services: ServerServices, telegram_api: FakeTelegramApi
) -> None:
    telegram_api.flood(21, retry_after=37)
    assert services.outbox.enqueue_reply("reply:telegram:1", "telegram", "21", "你好", services.clock.now())
    summary = await dispatch(services)
    assert (summary.retried, summary.sent) == (1, 0)
    with services.outbox.engine.connect() as conn:
        row = conn.execute(select(OUTBOX)).one()
    assert row.status == "queued" and row.attempts == 0  # throttling is not a failed attempt
    assert row.next_attempt_at == services.clock.now() + dt.timedelta(seconds=37)
    clock(services).advance(dt.timedelta(seconds=36))
    assert (await dispatch(services)).sent == 0
    clock(services).advance(dt.timedelta(seconds=1))
    assert (await dispatch(services)).sent == 1
    assert [m.text for m in telegram_api.sent] == ["你好"]


async def test_a_chat_that_blocked_the_bot_gets_sms_until_it_writes_again(
    services: ServerServices, telegram_api: FakeTelegramApi, sms: MemoryGateway
) -> None:
    engine = services.outbox.engine
    insert_trainees(engine, [record(1, phone=PHONE)], telegram={1: "31"})
    telegram_api.block(31)
    now = services.clock.now()
    reminder = Reminder(1, "学员1", "telegram", "31", now, ("payment_due",), (), "请缴费", "reminder:1:a")
    services.outbox.enqueue([reminder], now)
    summary = await dispatch(services)
    assert (summary.rerouted, summary.sent) == (1, 1)
    assert [(m.channel, m.to, m.text, m.kinds) for m in sms.sent] == [
        ("sms", PHONE, "请缴费", ("payment_due",))
    ]
    rows = outbox(services)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("reminder:1:a", "telegram", "failed"),
        ("reminder:1:a:sms", "sms", "sent"),
    ]
    assert services.blocks.blocked("telegram", ["31"]) == {"31"}
    # The next message to that chat goes by SMS without asking Telegram.
    services.outbox.enqueue([dataclasses.replace(reminder, idempotency_key="reminder:1:b")], now)
    await dispatch(services)
    assert telegram_api.refused == [(31, 403)] and len(sms.sent) == 2
    # Writing to the bot again lifts the block.
    application = build_application(services.settings, TelegramChannel(services))
    async with running(application, webhook_url=None):
        assert await TelegramChannel(services).process(read_update(application, text_update(31, "你好")))
    assert services.blocks.blocked("telegram", ["31"]) == set()


def test_long_answers_are_split_at_line_breaks() -> None:
    text = "\n".join(["一" * 3000, "二" * 3000, "三" * 10])
    assert split_text(text) == ["一" * 3000, "二" * 3000 + "\n" + "三" * 10]
    assert split_text("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]
    assert split_text("") == ["…"]


def test_file_url_follows_the_api_url() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
    assert file_url("http://proxy.local/tg/{token}") is None
