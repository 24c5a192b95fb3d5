"""SMS replies through the outbox, as `jxjy serve` wires them: real HTTP, real databases, a fixed clock."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Engine, select

from bot.channels.common import BACKGROUND, ServerServices
from bot.http import build_app
from bot.kernel.clock import FixedClock
from bot.kernel.settings import Settings
from ledger.inbound import INBOUND, SqlInboundStore
from reminders.dispatcher import Dispatcher
from reminders.gateways import MemoryGateway
from reminders.outbox import OUTBOX, SqlOutbox
from reminders.policy import QuietHours
from tests.bot.conftest import EchoResponder
from tests.bot.test_http import PHONE, SECRET, signed
from tests.reminders.support import insert_trainees, record
from tests.timezone import SHANGHAI

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]
QUIET = QuietHours.parse("21:00", "08:00", SHANGHAI)


class Service:
    """One run of the service on a database: its own app, inbound store, outbox and dispatcher."""

    def __init__(self, engine: Engine, clock: FixedClock, gateway: MemoryGateway, data_dir: Path) -> None:
        outbox = SqlOutbox(engine)
        self.dispatcher = Dispatcher(outbox, {"sms": gateway}, clock, QUIET)
        self.services = ServerServices(
            settings=Settings(data_dir=data_dir, sms_secret=SECRET),
            responder=EchoResponder(),
            health=lambda: True,
            inbound_store=SqlInboundStore(engine),
            outbox=outbox,
            dispatch_soon=self.dispatcher.dispatch_due,
            clock=clock,
        )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def gateway() -> MemoryGateway:
    return MemoryGateway()


@pytest.fixture
async def start(
    engine: Engine, clock: FixedClock, gateway: MemoryGateway, tmp_path: Path, aiohttp_client: MakeClient
) -> AsyncIterator[Callable[[], Awaitable[tuple[Service, Client]]]]:
    """Start the service; start it again for a restart (the previous run is stopped first)."""
    runs: list[tuple[Service, Client]] = []

    async def start_one() -> tuple[Service, Client]:
        if runs:
            service, client = runs[-1]
            await client.close()
            service.dispatcher.stop()
        service = Service(engine, clock, gateway, tmp_path)
        service.dispatcher.start()
        runs.append((service, await aiohttp_client(build_app(service.services))))
        return runs[-1]

    yield start_one
    runs[-1][0].dispatcher.stop()


async def post_sms(client: Client, provider_id: str, text: str, phone: str = PHONE) -> str:
    body, headers = signed({"id": provider_id, "from": phone, "text": text})
    resp = await client.post("/sms/inbound", data=body, headers=headers)
    assert resp.status == 200
    status: str = (await resp.json())["status"]
    await client.app[BACKGROUND].join(timeout=10)
    return status


def outbox_rows(engine: Engine) -> list[tuple[str, str | None, str, str, str]]:
    query = select(
        OUTBOX.c.idempotency_key, OUTBOX.c.trainee_id, OUTBOX.c.address, OUTBOX.c.kinds, OUTBOX.c.status
    )
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query.order_by(OUTBOX.c.id))]  # type: ignore[misc]


async def test_reply_is_queued_and_sent_at_once(
    start: Callable[[], Awaitable[tuple[Service, Client]]], engine: Engine, gateway: MemoryGateway
) -> None:
    _, client = await start()
    assert await post_sms(client, "p-1", "你好") == "accepted"
    assert [(m.channel, m.to, m.text) for m in gateway.sent] == [("sms", PHONE, "您好！我是继续教育助手。")]
    assert outbox_rows(engine) == [("reply:sms:p-1", None, PHONE, "reply", "sent")]
    # The gateway gets our outbox row id, which delivery receipts name.
    with engine.connect() as conn:
        assert gateway.sent[0].id == str(conn.execute(select(OUTBOX.c.id)).scalar_one())


async def test_a_retry_after_a_restart_gets_no_second_reply(
    start: Callable[[], Awaitable[tuple[Service, Client]]], engine: Engine, gateway: MemoryGateway
) -> None:
    _, first = await start()
    assert await post_sms(first, "p-2", "你好") == "accepted"
    service, second = await start()
    assert await post_sms(second, "p-2", "你好") == "duplicate"
    await service.dispatcher.dispatch_due()
    assert len(gateway.sent) == 1
    assert len(outbox_rows(engine)) == 1
    metrics = await (await second.get("/metrics")).text()
    assert 'jxjy_inbound_duplicates_total{channel="sms"} 1' in metrics


async def test_a_retry_of_a_message_stored_but_never_answered_is_answered(
    start: Callable[[], Awaitable[tuple[Service, Client]]],
    engine: Engine,
    gateway: MemoryGateway,
    clock: FixedClock,
) -> None:
    # The first attempt claimed the message and the process died before its reply was queued; the
    # provider retries after the claim has lapsed.
    assert SqlInboundStore(engine).claim("sms", "p-9", PHONE, "你好", clock.now()) == "new"
    clock.advance(dt.timedelta(minutes=2))
    _, client = await start()
    assert await post_sms(client, "p-9", "你好") == "accepted"
    assert [m.text for m in gateway.sent] == ["您好！我是继续教育助手。"]
    assert await post_sms(client, "p-9", "你好") == "duplicate"
    assert len(gateway.sent) == 1


async def test_a_reply_at_night_to_an_opted_out_trainee_is_still_sent_at_once(
    start: Callable[[], Awaitable[tuple[Service, Client]]],
    engine: Engine,
    gateway: MemoryGateway,
    clock: FixedClock,
) -> None:
    insert_trainees(engine, [record(1, phone=PHONE, opted_out=True)])
    clock.advance(dt.timedelta(hours=12))  # 22:00 in Shanghai, inside the quiet hours
    assert QUIET.contains(clock.now())
    _, client = await start()
    assert await post_sms(client, "p-3", "帮助") == "accepted"
    assert [(m.to, m.text) for m in gateway.sent] == [(PHONE, "可以问我报名、缴费、学时。")]
    assert outbox_rows(engine) == [("reply:sms:p-3", None, PHONE, "reply", "sent")]


async def test_a_reply_the_gateway_refused_is_retried_by_the_dispatcher(
    start: Callable[[], Awaitable[tuple[Service, Client]]],
    engine: Engine,
    gateway: MemoryGateway,
    clock: FixedClock,
) -> None:
    gateway.fail_next(1)
    service, client = await start()
    assert await post_sms(client, "p-4", "你好") == "accepted"
    assert (len(gateway.attempts), gateway.sent) == (1, [])
    assert outbox_rows(engine) == [("reply:sms:p-4", None, PHONE, "reply", "queued")]
    clock.advance(dt.timedelta(minutes=2))  # past the first backoff (at most one minute)
    assert (await service.dispatcher.dispatch_due()).sent == 1
    assert [m.text for m in gateway.sent] == ["您好！我是继续教育助手。"]
    assert outbox_rows(engine)[0][-1] == "sent"


async def test_an_id_number_in_an_inbound_text_is_stored_masked(
    start: Callable[[], Awaitable[tuple[Service, Client]]],
    engine: Engine,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    _, client = await start()
    assert (
        await post_sms(client, "p-5", "绑定 430602199001011237 张三", phone="+86 138-1234-5678") == "accepted"
    )
    with engine.connect() as conn:
        row = conn.execute(select(INBOUND)).one()
    assert (row.channel, row.provider_id, row.address) == ("sms", "p-5", PHONE)
    assert row.text == "绑定 4306**********1237 张三"
    assert row.received_at == clock.now()
    assert "430602199001011237" not in caplog.text and PHONE not in caplog.text
