"""`jxjy serve` as it runs: the real composition root against the providers' stand-ins, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine, insert, select

from bot.app import Runtime, build_service
from bot.channels.common import BACKGROUND, ServerServices
from bot.kernel.clock import FixedClock
from bot.kernel.settings import Settings
from bot.server import build_server_app
from ledger.inbound import INBOUND
from reminders.dispatcher import DispatchSummary
from reminders.outbox import OUTBOX
from tests.fakes.aliyun_sms import FakeAliyunSms
from tests.fakes.tencent_sms import FakeTencentSms
from tests.fakes.wechat_api import FakeWeChatApi
from tests.reminders.support import BINDINGS, CREATED

NOW = "2023-11-24T10:00:00+08:00"
Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]
MakeServer = Callable[[web.Application], Awaitable[TestServer]]


@dataclass
class Service:
    """One running `jxjy serve` app: its HTTP client, the wired services and the database."""

    client: Client
    services: ServerServices
    runtime: Runtime

    @property
    def engine(self) -> Engine:
        engine: Engine = self.runtime.engine()
        return engine

    @property
    def clock(self) -> FixedClock:
        assert isinstance(self.runtime.clock, FixedClock)
        return self.runtime.clock

    async def settle(self) -> None:
        """Wait for the work requests started after answering (dispatches, slow answers)."""
        await self.client.app[BACKGROUND].join(timeout=30)

    async def dispatch(self) -> DispatchSummary:
        """One dispatch pass, as the scheduler's minute sweep does."""
        assert self.services.dispatch_soon is not None
        summary = await self.services.dispatch_soon()
        assert isinstance(summary, DispatchSummary)
        return summary

    def outbox(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(OUTBOX).order_by(OUTBOX.c.id))]

    def inbound(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            query = select(INBOUND.c.channel, INBOUND.c.provider_id).order_by(INBOUND.c.id)
            return [(row.channel, row.provider_id) for row in conn.execute(query)]

    def bind(self, channel: str, address: str, trainee_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(BINDINGS).values(
                    channel=channel, address=address, trainee_id=trainee_id, created_at=CREATED
                )
            )


StartService = Callable[..., Awaitable[Service]]


@pytest.fixture
async def start_service(
    aiohttp_client: MakeClient,
    database_url: str,
    tmp_path: Path,
    nlu_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[StartService]:
    """Start the whole service with these settings (the NLU model trained once per run)."""
    monkeypatch.setattr(Runtime, "cache_dir", property(lambda _self: nlu_cache))
    started: list[Service] = []

    async def start(**settings: Any) -> Service:
        config = Settings(data_dir=tmp_path, database_url=database_url, **settings)
        runtime = Runtime.create(now=NOW, settings=config)
        services, background = build_service(runtime)
        client = await aiohttp_client(build_server_app(services, background=background))
        started.append(Service(client, services, runtime))
        return started[-1]

    yield start
    for service in started:
        await service.client.close()
        service.engine.dispose()


@pytest.fixture
async def wechat_api(aiohttp_server: MakeServer) -> AsyncIterator[FakeWeChatApi]:
    fake = FakeWeChatApi(app_id="wx5823bf96d3bd56c7", app_secret="s3cret", template_id="TPL_reminder")
    server = await aiohttp_server(fake.build_app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    yield fake
    assert fake.errors == [], f"unexpected WeChat API traffic: {fake.errors}"


@pytest.fixture
async def aliyun(aiohttp_server: MakeServer) -> AsyncIterator[FakeAliyunSms]:
    fake = FakeAliyunSms()
    server = await aiohttp_server(fake.build_app())
    fake.base_url = str(server.make_url("/"))
    yield fake
    assert fake.errors == [], f"unexpected Aliyun traffic: {fake.errors}"


@pytest.fixture
async def tencent(aiohttp_server: MakeServer) -> AsyncIterator[FakeTencentSms]:
    fake = FakeTencentSms()
    server = await aiohttp_server(fake.build_app())
    fake.base_url = str(server.make_url("/"))
    yield fake
    assert fake.errors == [], f"unexpected Tencent traffic: {fake.errors}"


def aliyun_settings(fake: FakeAliyunSms, **more: Any) -> dict[str, Any]:
    """The settings that point `jxjy serve` at the Aliyun stand-in."""
    return {
        "sms_gateway": "aliyun",
        "aliyun_access_key_id": fake.access_key_id,
        "aliyun_access_key_secret": fake.access_key_secret,
        "aliyun_sms_endpoint": fake.base_url,
        "sms_sign_name": fake.sign_name,
        "sms_template_code": "SMS_100001",
        "sms_callback_token": CALLBACK_TOKEN,
        **more,
    }


CALLBACK_TOKEN = "cb-token-7"
LOCAL = dt.timezone(dt.timedelta(hours=8))
