"""Fixtures for the service side: a recording responder and the fake Telegram Bot API."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.common import ServerServices
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound, Reply, Responder
from bot.kernel.settings import Settings
from ledger.channel_blocks import SqlChannelBlocks
from ledger.db import open_database
from reminders.dispatcher import Dispatcher
from reminders.gateways import Channel, Gateway
from reminders.outbox import SqlOutbox
from reminders.policy import QuietHours
from tests.fakes.telegram_api import FakeTelegramApi
from tests.timezone import SHANGHAI

NOON = dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI)


class EchoResponder:
    """A stand-in brain: greets on 你好, otherwise echoes; records what it was asked."""

    def __init__(self) -> None:
        self.seen: list[Inbound] = []

    def handle(self, inbound: Inbound) -> Reply:
        self.seen.append(inbound)
        if inbound.text == "你好":
            return Reply(text="您好！我是继续教育助手。", intent="greet", confidence=1.0)
        if inbound.text == "帮助":
            return Reply(text="可以问我报名、缴费、学时。", intent="help", confidence=1.0)
        form = "short" if inbound.channel == "sms" else "full"
        return Reply(text=f"[{form}] {inbound.text}", intent="echo", confidence=0.5)


@pytest.fixture
def responder() -> EchoResponder:
    return EchoResponder()


@pytest.fixture
async def telegram_api(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API, served on a local port; fails the test if the bot called anything unexpected."""
    fake = FakeTelegramApi()
    server = await aiohttp_server(fake.build_app())
    fake.base_url = str(server.make_url("/bot"))
    yield fake
    assert fake.errors == [], f"unexpected Bot API traffic: {fake.errors}"


@contextlib.contextmanager
def outbox_services(
    settings: Settings,
    responder: Responder,
    gateway: Gateway,
    *,
    gateways: Mapping[Channel, Gateway] | None = None,
    **extra: Any,
) -> Iterator[ServerServices]:
    """The services as `jxjy serve` wires them: replies queued in the outbox, sent by a running dispatcher.

    ``gateway`` sends SMS; ``gateways`` adds the other channels (Telegram, WeChat).
    """
    engine = open_database(settings)
    clock = FixedClock(NOON)
    outbox = SqlOutbox(engine)
    quiet = QuietHours.parse("21:00", "08:00", SHANGHAI)
    dispatcher = Dispatcher(outbox, {"sms": gateway, **(gateways or {})}, clock, quiet)
    extra.setdefault("blocks", SqlChannelBlocks(engine))
    dispatcher.start()
    try:
        services = ServerServices(
            settings=settings,
            responder=responder,
            health=lambda: True,
            outbox=outbox,
            clock=clock,
            dispatch_soon=dispatcher.dispatch_due,
            dispatch_replies=functools.partial(dispatcher.dispatch_due, claim=False),
            handoff=dispatcher.handoff,
            **extra,
        )
        dispatcher.sent_recorder = services.record_sent
        yield services
    finally:
        dispatcher.stop()
        engine.dispose()
