"""The Telegram channel with the real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from bot.channels.common import AsyncResponder
from bot.channels.metrics import ServiceMetrics
from bot.channels.telegram import build_application, file_url, running, split_text
from bot.kernel.messages import Inbound
from bot.kernel.settings import Settings
from tests.bot.conftest import EchoResponder
from tests.fakes.build_updates import text_update
from tests.fakes.telegram_api import FakeTelegramApi


def _settings(fake: FakeTelegramApi) -> Settings:
    return Settings(telegram_token=fake.token, telegram_api_url=fake.base_url)


async def test_polling_answers_a_text_message_with_the_full_form(
    telegram_api: FakeTelegramApi, responder: EchoResponder
) -> None:
    metrics = ServiceMetrics.create()
    application = build_application(_settings(telegram_api), AsyncResponder(responder), metrics)
    telegram_api.queue_update(text_update(42, "怎么缴费"))
    async with running(application, poll_timeout=1):
        sent = await telegram_api.wait_for_sent(1)
    assert [(m.chat_id, m.text) for m in sent] == [(42, "[full] 怎么缴费")]
    assert responder.seen == [Inbound("telegram", "42", "怎么缴费")]
    assert metrics.value("jxjy_replies", channel="telegram", intent="echo") == 1
    assert "deleteWebhook" in telegram_api.calls


async def test_start_and_help_are_answered_by_the_brain(
    telegram_api: FakeTelegramApi, responder: EchoResponder
) -> None:
    application = build_application(
        _settings(telegram_api), AsyncResponder(responder), ServiceMetrics.create()
    )
    telegram_api.queue_update(text_update(5, "/start"))
    telegram_api.queue_update(text_update(5, "/help@jxjy_test_bot"))
    async with running(application, poll_timeout=1):
        sent = await telegram_api.wait_for_sent(2)
    assert [m.text for m in sent] == ["您好！我是继续教育助手。", "可以问我报名、缴费、学时。"]
    assert [i.text for i in responder.seen] == ["你好", "帮助"]


async def test_polling_confirms_what_it_fetched_and_ignores_group_chats(
    telegram_api: FakeTelegramApi, responder: EchoResponder
) -> None:
    application = build_application(
        _settings(telegram_api), AsyncResponder(responder), ServiceMetrics.create()
    )
    group = text_update(-100, "大家好")
    group["message"]["chat"] = {"id": -100, "type": "group", "title": "培训群"}
    telegram_api.queue_update(group)
    telegram_api.queue_update(text_update(9, "学时不够怎么办"))
    async with running(application, poll_timeout=1):
        sent = await telegram_api.wait_for_sent(1)
    assert [(m.chat_id, m.text) for m in sent] == [(9, "[full] 学时不够怎么办")]
    assert [i.address for i in responder.seen] == ["9"]
    assert telegram_api.pending_updates == 0


def test_long_answers_are_split_at_line_breaks() -> None:
    text = "\n".join(["一" * 3000, "二" * 3000, "三" * 10])
    assert split_text(text) == ["一" * 3000, "二" * 3000 + "\n" + "三" * 10]
    assert split_text("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]
    assert split_text("") == ["…"]


def test_file_url_follows_the_api_url() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
    assert file_url("http://proxy.local/tg/{token}") is None
