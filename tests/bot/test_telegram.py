"""The Telegram channel with the real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from bot.inbound import AsyncResponder
from bot.messages import Inbound
from bot.metrics import ServiceMetrics
from bot.settings import Settings
from bot.telegram import build_application, running
from tests.bot.conftest import EchoResponder
from tests.fakes.build_updates import text_update
from tests.fakes.telegram_api import FakeTelegramApi


def _settings(fake: FakeTelegramApi, **extra: str) -> Settings:
    return Settings(telegram_token=fake.token, telegram_api_url=fake.base_url, **extra)


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
    assert metrics.replies.value(channel="telegram", intent="echo") == 1
    assert "deleteWebhook" in telegram_api.calls
