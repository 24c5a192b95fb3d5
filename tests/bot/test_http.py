"""The HTTP endpoints, through a real aiohttp client against the real app."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import create_engine

from bot.channels.common import BACKGROUND, ServerServices
from bot.channels.metrics import CONTENT_TYPE
from bot.channels.sms_http import sign
from bot.channels.telegram import TelegramChannel, build_application, running
from bot.http import build_app, engine_health
from bot.kernel.settings import Settings
from reminders.gateways import MemoryGateway
from tests.bot.conftest import EchoResponder, outbox_services
from tests.fakes.build_updates import text_update
from tests.fakes.telegram_api import FakeTelegramApi

SECRET = "sms-shared-secret"
PHONE = "13812345678"

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]


class Receipts:
    """Records the delivery receipts handed to the hook."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []

    def __call__(self, message_id: str, status: str, error: str | None) -> None:
        self.seen.append((message_id, status, error))


class Health:
    """A switchable health check."""

    def __init__(self) -> None:
        self.answer: bool | Exception = True

    def __call__(self) -> bool:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def gateway() -> MemoryGateway:
    return MemoryGateway()


@pytest.fixture
def receipts() -> Receipts:
    return Receipts()


@pytest.fixture
def health() -> Health:
    return Health()


@pytest.fixture
def services(
    tmp_path: Path, responder: EchoResponder, gateway: MemoryGateway, receipts: Receipts, health: Health
) -> Iterator[ServerServices]:
    settings = Settings(data_dir=tmp_path, sms_secret=SECRET)
    telegram = {"telegram": gateway}  # one recorder for both channels
    with outbox_services(
        settings, responder, gateway, gateways=telegram, on_delivery_status=receipts
    ) as services:
        services.health = health
        yield services


@pytest.fixture
async def client(aiohttp_client: MakeClient, services: ServerServices) -> Client:
    return await aiohttp_client(build_app(services))


def signed(payload: Any, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return body, {"Content-Type": "application/json", "X-Jxjy-Signature": sign(body, secret)}


async def post_sms(client: Client, payload: Any, path: str = "/sms/inbound") -> Any:
    body, headers = signed(payload)
    return await client.post(path, data=body, headers=headers)


async def replies_sent(client: Client) -> None:
    await client.app[BACKGROUND].join(timeout=5)


# --- /sms/inbound --------------------------------------------------------------------------------


async def test_signed_sms_is_answered_with_the_short_form(
    client: Client, gateway: MemoryGateway, responder: EchoResponder
) -> None:
    resp = await post_sms(client, {"id": "p-1", "from": PHONE, "text": "怎么缴费"})
    assert resp.status == 200
    assert await resp.json() == {"status": "accepted", "id": "p-1"}
    await replies_sent(client)
    assert responder.seen[0].channel == "sms" and responder.seen[0].address == PHONE
    assert [(m.channel, m.to, m.text) for m in gateway.sent] == [("sms", PHONE, "[short] 怎么缴费")]


async def test_provider_retry_is_answered_once(client: Client, gateway: MemoryGateway) -> None:
    payload = {"id": 981, "from": "+86 138-1234-5678", "text": "你好"}
    first = await post_sms(client, payload)
    await replies_sent(client)
    second = await post_sms(client, payload)
    await replies_sent(client)
    assert (first.status, second.status) == (200, 200)
    assert (await second.json())["status"] == "duplicate"
    assert [m.to for m in gateway.sent] == [PHONE]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-Jxjy-Signature": "00" * 32}, 403),
        ({"X-Jxjy-Signature": "not hex at all"}, 403),
    ],
)
async def test_unsigned_or_badly_signed_sms_is_refused(
    client: Client, gateway: MemoryGateway, headers: dict[str, str], status: int
) -> None:
    body = json.dumps({"id": "p-2", "from": PHONE, "text": "你好"}).encode()
    resp = await client.post("/sms/inbound", data=body, headers=headers)
    assert resp.status == status
    assert "X-Jxjy-Signature" in (await resp.json())["error"]
    await replies_sent(client)
    assert gateway.attempts == []


async def test_signature_with_another_secret_is_refused(client: Client) -> None:
    body, headers = signed({"id": "p-3", "from": PHONE, "text": "你好"}, secret="someone-else")
    resp = await client.post("/sms/inbound", data=body, headers=headers)
    assert resp.status == 403


async def test_sms_is_refused_when_no_secret_is_configured(
    aiohttp_client: MakeClient, services: ServerServices
) -> None:
    services.settings = Settings(data_dir=services.settings.data_dir)
    client = await aiohttp_client(build_app(services))
    resp = await post_sms(client, {"id": "p-4", "from": PHONE, "text": "你好"})
    assert resp.status == 403
    assert "JXJY_SMS_SECRET" in (await resp.json())["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"from": PHONE, "text": "hi"}).encode(), '"id"'),
        (json.dumps({"id": "x", "text": "hi"}).encode(), '"from"'),
        (json.dumps({"id": "x" * 129, "from": PHONE, "text": "hi"}).encode(), "128 characters"),
        (json.dumps({"id": "x", "from": PHONE, "text": 5}).encode(), '"text"'),
    ],
)
async def test_malformed_sms_gets_400_with_a_clear_message(client: Client, body: bytes, message: str) -> None:
    resp = await client.post("/sms/inbound", data=body, headers={"X-Jxjy-Signature": sign(body, SECRET)})
    assert resp.status == 400
    assert message in (await resp.json())["error"]


async def test_failed_reply_is_counted_and_logged_masked(
    client: Client, gateway: MemoryGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.fail_next(1, retryable=False)
    caplog.set_level(logging.INFO)
    await post_sms(client, {"id": "p-5", "from": PHONE, "text": "我的身份证430602199001011237"})
    await replies_sent(client)
    metrics = await (await client.get("/metrics")).text()
    assert 'jxjy_sms_sent_total{result="queued"} 1.0' in metrics
    assert len(gateway.attempts) == 1 and gateway.sent == []
    assert "138****5678" in caplog.text
    assert PHONE not in caplog.text and "430602199001011237" not in caplog.text


# --- /sms/status ---------------------------------------------------------------------------------


async def test_delivery_receipts_reach_the_hook(client: Client, receipts: Receipts) -> None:
    ok = await post_sms(client, {"id": "m-1", "status": "delivered"}, path="/sms/status")
    failed = await post_sms(client, {"id": "m-2", "status": "failed", "error": "空号"}, path="/sms/status")
    assert (ok.status, failed.status) == (200, 200)
    assert receipts.seen == [("m-1", "delivered", None), ("m-2", "failed", "空号")]


async def test_bad_receipts_are_refused(client: Client, receipts: Receipts) -> None:
    unknown = await post_sms(client, {"id": "m-3", "status": "read"}, path="/sms/status")
    assert unknown.status == 400
    assert "delivered" in (await unknown.json())["error"]
    body = json.dumps({"id": "m-4", "status": "delivered"}).encode()
    forged = await client.post("/sms/status", data=body, headers={"X-Jxjy-Signature": "ab" * 32})
    assert forged.status == 403
    assert receipts.seen == []


# --- /healthz and /metrics -----------------------------------------------------------------------


async def test_healthz_follows_the_database(client: Client, health: Health) -> None:
    resp = await client.get("/healthz")
    assert (resp.status, await resp.json()) == (200, {"status": "ok"})
    health.answer = False
    assert (await client.get("/healthz")).status == 503
    health.answer = OSError("connection refused")
    resp = await client.get("/healthz")
    assert resp.status == 503
    assert "refused" not in await resp.text()


def test_engine_health_asks_the_database(tmp_path: Path) -> None:
    good = create_engine(f"sqlite:///{tmp_path / 'ok.sqlite3'}")
    bad = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite3'}")
    try:
        assert engine_health(good)() is True
        with pytest.raises(Exception, match="unable to open"):
            engine_health(bad)()
    finally:
        good.dispose()
        bad.dispose()


async def test_metrics_count_messages_replies_receipts_and_errors(client: Client) -> None:
    await post_sms(client, {"id": "p-6", "from": PHONE, "text": "你好"})
    await replies_sent(client)
    await post_sms(client, {"id": "m-5", "status": "delivered"}, path="/sms/status")
    await client.post("/sms/inbound", data=b"{}")
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == CONTENT_TYPE
    lines = (await resp.text()).splitlines()
    assert "# TYPE jxjy_messages_in_total counter" in lines
    assert 'jxjy_messages_in_total{channel="sms"} 1.0' in lines
    assert 'jxjy_replies_total{channel="sms",intent="greet"} 1.0' in lines
    assert 'jxjy_sms_status_total{status="delivered"} 1.0' in lines
    assert 'jxjy_http_errors_total{route="/sms/inbound",status="401"} 1.0' in lines


# --- /telegram/webhook ---------------------------------------------------------------------------

WEBHOOK_SECRET = "tg-webhook-secret"


async def test_webhook_needs_the_secret_and_then_queues_the_answer_before_its_200(
    aiohttp_client: MakeClient,
    services: ServerServices,
    telegram_api: FakeTelegramApi,
    gateway: MemoryGateway,
) -> None:
    services.settings = Settings(
        data_dir=services.settings.data_dir,
        telegram_token=telegram_api.token,
        telegram_api_url=telegram_api.base_url,
        telegram_webhook_secret=WEBHOOK_SECRET,
    )
    application = build_application(services.settings, TelegramChannel(services))
    assert application.updater is None
    async with running(
        application, webhook_url="https://bot.example/telegram/webhook", secret_token=WEBHOOK_SECRET
    ):
        client = await aiohttp_client(build_app(services, telegram_app=application))
        update = text_update(77, "/start")
        header = "X-Telegram-Bot-Api-Secret-Token"
        assert (await client.post("/telegram/webhook", json=update)).status == 403
        assert (await client.post("/telegram/webhook", json=update, headers={header: "guess"})).status == 403
        assert not services.outbox.has_key(f"reply:telegram:{update['update_id']}")
        ok = await client.post("/telegram/webhook", json=update, headers={header: WEBHOOK_SECRET})
        assert ok.status == 200
        # Queued before the 200: a crash now would lose nothing.
        assert services.outbox.has_key(f"reply:telegram:{update['update_id']}")
        await replies_sent(client)
        garbage: list[dict[str, Any]] = [{"message": {}}, {"update_id": 5, "message": 1}]
        for bad_update in garbage:
            bad = await client.post("/telegram/webhook", json=bad_update, headers={header: WEBHOOK_SECRET})
            assert bad.status == 400
    assert [(m.channel, m.to, m.text) for m in gateway.sent] == [
        ("telegram", "77", "您好！我是继续教育助手。")
    ]
    assert telegram_api.webhook is not None and telegram_api.webhook["secret_token"] == WEBHOOK_SECRET
    assert "getUpdates" not in telegram_api.calls


async def test_webhook_is_off_in_polling_mode(client: Client) -> None:
    resp = await client.post("/telegram/webhook", json=text_update(1, "你好"))
    assert resp.status == 404
    assert "JXJY_TELEGRAM_WEBHOOK_SECRET" in (await resp.json())["error"]


async def test_mainland_channels_are_off_until_configured(client: Client) -> None:
    for method, path in (("GET", "/wechat"), ("POST", "/wechat")):
        resp = await client.request(method, path)
        assert resp.status == 404 and "JXJY_WECHAT_TOKEN" in (await resp.json())["error"]
    for path in ("/sms/aliyun/up", "/sms/aliyun/report", "/sms/tencent/reply", "/sms/tencent/status"):
        resp = await client.post(path, params={"token": ""}, data=b"[]")
        assert resp.status == 403 and "JXJY_SMS_CALLBACK_TOKEN" in (await resp.json())["error"]
