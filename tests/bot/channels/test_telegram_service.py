"""Telegram end to end through `jxjy serve`'s app: the webhook registered from JXJY_PUBLIC_URL, replays."""

from __future__ import annotations

import asyncio

from bot.channels.common import AsyncResponder
from bot.kernel.messages import Inbound, Reply
from tests.bot.channels.conftest import StartService
from tests.fakes.build_updates import text_update
from tests.fakes.telegram_api import FakeTelegramApi

SECRET = "tg-secret-1"
HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


async def test_serve_registers_its_webhook_and_answers_a_replayed_update_once(
    start_service: StartService, telegram_api: FakeTelegramApi
) -> None:
    service = await start_service(
        telegram_token=telegram_api.token,
        telegram_api_url=telegram_api.base_url,
        telegram_webhook_secret=SECRET,
        public_url="https://bot.example.org/",
    )
    assert telegram_api.webhook is not None
    assert telegram_api.webhook["url"] == "https://bot.example.org/telegram/webhook"
    assert telegram_api.webhook["secret_token"] == SECRET
    update = text_update(4242, "培训费多少钱")
    for _ in range(3):  # Telegram resends an update whose 200 came late
        resp = await service.client.post("/telegram/webhook", json=update, headers=HEADER)
        assert resp.status == 200
    await service.settle()
    [sent] = telegram_api.sent
    assert sent.chat_id == 4242 and "100元" in sent.text
    assert service.inbound() == [("telegram", str(update["update_id"]))]
    [row] = service.outbox()
    assert (row["idempotency_key"], row["status"]) == (f"reply:telegram:{update['update_id']}", "sent")
    edited = {"update_id": update["update_id"] + 1, "edited_message": {**update["message"], "edit_date": 1}}
    assert (await service.client.post("/telegram/webhook", json=edited, headers=HEADER)).status == 200
    await service.settle()
    assert len(telegram_api.sent) == 1
    assert "getUpdates" not in telegram_api.calls


class CountedAnswers(AsyncResponder):
    """The real brain, a little slow, counting what it is asked."""

    def __init__(self, inner: AsyncResponder) -> None:
        self._inner = inner
        self.calls = 0

    async def answer(self, inbound: Inbound) -> Reply:
        self.calls += 1
        await asyncio.sleep(0.3)
        return await self._inner.answer(inbound)

    def close(self) -> None:
        self._inner.close()


async def test_simultaneous_deliveries_of_an_update_run_the_brain_once(
    start_service: StartService, telegram_api: FakeTelegramApi
) -> None:
    service = await start_service(
        telegram_token=telegram_api.token,
        telegram_api_url=telegram_api.base_url,
        telegram_webhook_secret=SECRET,
        public_url="https://bot.example.org/",
    )
    counted = service.services.answerer = CountedAnswers(service.services.answerer)
    update = text_update(4343, "培训费多少钱")
    posts = [service.client.post("/telegram/webhook", json=update, headers=HEADER) for _ in range(3)]
    assert [resp.status for resp in await asyncio.gather(*posts)] == [200, 200, 200]
    await service.settle()
    assert counted.calls == 1 and len(telegram_api.sent) == 1
