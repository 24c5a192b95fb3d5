"""The real brain behind both channels: one SMS and one Telegram message through `jxjy serve`'s app."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import Runtime
from bot.channels.common import BACKGROUND
from bot.channels.sms_http import sign
from bot.channels.telegram import TelegramGateway
from bot.kernel.settings import Settings
from bot.server import build_server_app
from reminders.gateways import MemoryGateway
from tests.bot.conftest import outbox_services
from tests.fakes.build_updates import text_update
from tests.fakes.telegram_api import FakeTelegramApi

MakeClient = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


async def test_brain_answers_sms_short_and_telegram_full(
    aiohttp_client: MakeClient, tmp_path: Path, telegram_api: FakeTelegramApi
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        sms_secret="s3cret",
        telegram_token=telegram_api.token,
        telegram_api_url=telegram_api.base_url,
    )
    runtime = Runtime.create(now="2023-11-24T10:00:00+08:00", settings=settings)
    gateway = MemoryGateway()
    telegram = TelegramGateway(telegram_api.token, telegram_api.base_url)
    with outbox_services(settings, runtime.brain(), gateway, gateways={"telegram": telegram}) as services:
        client = await aiohttp_client(build_server_app(services, poll_timeout=1))
        await _exchange(client, telegram_api, gateway)
    await telegram.aclose()


async def _exchange(
    client: TestClient[web.Request, web.Application], telegram_api: FakeTelegramApi, gateway: MemoryGateway
) -> None:

    body = json.dumps({"id": "e2e-1", "from": "13812345678", "text": "怎么缴费"}, ensure_ascii=False).encode()
    resp = await client.post("/sms/inbound", data=body, headers={"X-Jxjy-Signature": sign(body, "s3cret")})
    assert resp.status == 200
    await client.app[BACKGROUND].join(timeout=30)
    telegram_api.queue_update(text_update(8, "怎么缴费"))
    sent = await telegram_api.wait_for_sent(1, timeout=30)

    [sms] = gateway.sent
    assert "100元" in sms.text and "100元" in sent[0].text
    assert len(sms.text) <= 140
    assert len(sms.text) < len(sent[0].text)
    metrics = await (await client.get("/metrics")).text()
    assert 'jxjy_replies_total{channel="sms",intent="ask_fee"} 1.0' in metrics
    assert 'jxjy_replies_total{channel="telegram",intent="ask_fee"} 1.0' in metrics
