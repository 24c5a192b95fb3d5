"""The whole service: endpoints, Telegram and background work started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.channels.common import ServerServices
from bot.channels.telegram import TelegramGateway
from bot.kernel.settings import Settings
from bot.server import build_server_app, serve
from reminders.gateways import Channel, Gateway, MemoryGateway, close_gateways
from tests.bot.conftest import EchoResponder, outbox_services
from tests.fakes.build_updates import text_update
from tests.fakes.telegram_api import FakeTelegramApi

MakeClient = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


def recorder(events: list[str], name: str) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        events.append(f"start {name}")
        yield
        events.append(f"stop {name}")

    return ctx


@contextlib.asynccontextmanager
async def services_for(
    tmp_path: Path, responder: EchoResponder, **settings: str
) -> AsyncIterator[ServerServices]:
    settings_ = Settings(data_dir=tmp_path, **settings)  # type: ignore[arg-type]
    gateways: dict[Channel, Gateway] = {}
    if settings_.telegram_token:
        gateways["telegram"] = TelegramGateway(settings_.telegram_token, settings_.telegram_api_url)
    with outbox_services(settings_, responder, MemoryGateway(), gateways=gateways) as services:
        yield services
    await close_gateways(gateways)


async def test_background_work_starts_before_requests_and_stops_in_reverse(
    aiohttp_client: MakeClient, tmp_path: Path, responder: EchoResponder
) -> None:
    events: list[str] = []
    async with services_for(tmp_path, responder) as services:
        app = build_server_app(
            services, background=[recorder(events, "scheduler"), recorder(events, "dispatcher")]
        )
        client = await aiohttp_client(app)
        assert events == ["start scheduler", "start dispatcher"]
        assert (await client.get("/healthz")).status == 200
        await client.close()
    assert events[2:] == ["stop dispatcher", "stop scheduler"]


async def test_serve_polls_telegram_and_stops_gracefully_on_sigterm(
    unused_tcp_port: int,
    tmp_path: Path,
    responder: EchoResponder,
    telegram_api: FakeTelegramApi,
) -> None:
    events: list[str] = []
    port = unused_tcp_port
    async with services_for(
        tmp_path, responder, telegram_token=telegram_api.token, telegram_api_url=telegram_api.base_url
    ) as services:
        server = asyncio.create_task(
            serve(services, host="127.0.0.1", port=port, background=[recorder(events, "dispatcher")])
        )
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        assert resp.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        telegram_api.queue_update(text_update(3, "你好"))
        sent = await telegram_api.wait_for_sent(1)
        assert sent[0].chat_id == 3
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(server, timeout=10)
        assert events == ["start dispatcher", "stop dispatcher"]
    assert telegram_api.pending_updates == 0


async def test_an_unreachable_bot_api_at_start_is_retried_while_http_serves(
    unused_tcp_port_factory: Callable[[], int], tmp_path: Path, responder: EchoResponder
) -> None:
    from aiohttp.test_utils import TestServer

    from tests.bot.test_http import signed

    api_port, port = unused_tcp_port_factory(), unused_tcp_port_factory()
    telegram_api = FakeTelegramApi(base_url=f"http://127.0.0.1:{api_port}/bot")  # nothing listens there yet
    stop = asyncio.Event()
    async with services_for(
        tmp_path,
        responder,
        telegram_token=telegram_api.token,
        telegram_api_url=telegram_api.base_url,
        sms_secret="s3cret",
    ) as services:
        server = asyncio.create_task(serve(services, host="127.0.0.1", port=port, stop=stop))
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        assert resp.status == 200
                        break
                await asyncio.sleep(0.05)
            body, headers = signed({"id": "m1", "from": "13800000001", "text": "你好"}, "s3cret")
            async with session.post(
                f"http://127.0.0.1:{port}/sms/inbound", data=body, headers=headers
            ) as resp:
                assert resp.status == 200
        assert not server.done(), "serve must not exit when Telegram does not answer"
        api = TestServer(telegram_api.build_app(), port=api_port)
        await api.start_server()
        try:
            telegram_api.queue_update(text_update(3, "你好"))
            sent = await telegram_api.wait_for_sent(1, timeout=10)
            assert sent[0].chat_id == 3
            stop.set()
            await asyncio.wait_for(server, timeout=10)
        finally:
            await api.close()
    assert telegram_api.errors == []


async def test_the_access_log_leaves_out_query_strings(caplog: pytest.LogCaptureFixture) -> None:
    from aiohttp.test_utils import make_mocked_request

    from bot.server import PathOnlyAccessLogger

    caplog.set_level(logging.INFO, logger="aiohttp.access")
    access = PathOnlyAccessLogger(logging.getLogger("aiohttp.access"), "")
    request = make_mocked_request("POST", "/sms/aliyun/up?token=cb-secret&openid=oUser")
    assert access.enabled
    access.log(request, web.Response(status=200), 0.012)
    assert caplog.messages == ["POST /sms/aliyun/up 200 12 ms"]


def test_the_access_log_is_off_when_its_logger_is_quiet() -> None:
    from bot.server import PathOnlyAccessLogger

    quiet = logging.getLogger("test.access.quiet")
    quiet.setLevel(logging.WARNING)  # as `jxjy serve` sets aiohttp.access
    assert not PathOnlyAccessLogger(quiet, "").enabled


def test_serve_without_telegram_loads_neither_ptb_nor_cryptography() -> None:
    # What `jxjy serve` imports when Telegram is off and no ID number is sealed: python-telegram-bot (with
    # httpx) and cryptography cost about 13 MB of the service's memory, so they load only when used.
    import subprocess
    import sys

    probe = (
        "import sys, bot.cli.serve, bot.server, bot.http, bot.app, bot.channels.outbound, "
        "bot.channels.wechat, bot.channels.wechat_crypto, bot.dialogue.conversation_sql\n"
        "from ledger.crypto import IdVault\n"
        "IdVault('k').lookup_hashes(['430602199001011234'])\n"
        "print(sorted({'telegram', 'httpx', 'cryptography'} & {m.split('.')[0] for m in sys.modules}))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_telegram_loads_without_cryptography_which_still_loads_for_an_id_number() -> None:
    # python-telegram-bot would load cryptography (6 MB) for Telegram Passport, which the bot never uses.
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from bot.channels.telegram_webhook import passport_left_out\n"
        "with passport_left_out():\n"
        "    import bot.channels.telegram\n"
        "print('cryptography' in sys.modules)\n"
        "from ledger.crypto import IdVault\n"
        "vault = IdVault('k')\n"
        "print(vault.decrypt(vault.encrypt('430602199001011237')) == '430602199001011237')"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.split() == ["False", "True"]
