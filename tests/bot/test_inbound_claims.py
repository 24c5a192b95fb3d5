"""Provider retries and loops on `/sms/inbound`: real concurrent HTTP, real SQLite and PostgreSQL.

Three simultaneous deliveries of one message run the brain once; a retry after the claimer died is
answered; a sender past the per-sender cap is stored, not answered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Engine, select

from bot.channels.common import BACKGROUND, ServerServices
from bot.http import build_app
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound, Reply
from bot.kernel.settings import Settings
from ledger.inbound import INBOUND, SqlInboundStore
from reminders.dispatcher import Dispatcher
from reminders.gateways import MemoryGateway
from reminders.outbox import OUTBOX, SqlOutbox
from reminders.policy import QuietHours
from tests.bot.test_http import PHONE, SECRET, signed
from tests.timezone import SHANGHAI

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]
NOON = dt.datetime(2023, 11, 24, 12, 0, tzinfo=SHANGHAI)


class SlowResponder:
    """Takes ``delay`` seconds per message (in its worker thread) and counts what it answered."""

    def __init__(self, delay: float = 0.3) -> None:
        self.delay = delay
        self.answered: list[str] = []
        self._lock = threading.Lock()

    def handle(self, inbound: Inbound) -> Reply:
        time.sleep(self.delay)
        with self._lock:
            self.answered.append(inbound.text)
        return Reply(text=f"答：{inbound.text}", intent="echo", confidence=1.0)


class Service:
    """The SMS side of `jxjy serve` on one database, with a running dispatcher and a memory gateway."""

    def __init__(self, engine: Engine, tmp_path: Path, cap: int = 20) -> None:
        self.engine = engine
        self.clock = FixedClock(NOON)
        self.gateway = MemoryGateway()
        self.responder = SlowResponder()
        outbox = SqlOutbox(engine)
        self.dispatcher = Dispatcher(
            outbox, {"sms": self.gateway}, self.clock, QuietHours.parse("21:00", "08:00", SHANGHAI)
        )
        settings = Settings(data_dir=tmp_path, sms_secret=SECRET, inbound_per_sender_hour=cap)
        self.store = SqlInboundStore(engine)
        self.services = ServerServices(
            settings=settings,
            responder=self.responder,
            health=lambda: True,
            inbound_store=self.store,
            outbox=outbox,
            dispatch_soon=self.dispatcher.dispatch_due,
            clock=self.clock,
        )

    def outbox_keys(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(OUTBOX.c.idempotency_key).order_by(OUTBOX.c.id)).scalars())


@pytest.fixture
async def service(engine: Engine, tmp_path: Path) -> AsyncIterator[Service]:
    service = Service(engine, tmp_path)
    service.dispatcher.start()
    yield service
    service.dispatcher.stop()


@pytest.fixture
async def client(service: Service, aiohttp_client: MakeClient) -> Client:
    return await aiohttp_client(build_app(service.services))


async def deliver(client: Client, provider_id: str, text: str, phone: str = PHONE) -> tuple[int, str]:
    body, headers = signed({"id": provider_id, "from": phone, "text": text})
    resp = await client.post("/sms/inbound", data=body, headers=headers)
    data = await resp.json()
    return resp.status, data.get("status", data.get("error", ""))


async def settle(client: Client) -> None:
    await client.app[BACKGROUND].join(timeout=10)


async def test_three_simultaneous_deliveries_run_the_brain_once(service: Service, client: Client) -> None:
    results = await asyncio.gather(*(deliver(client, "dup-1", "你好") for _ in range(3)))
    await settle(client)
    assert sorted(results) == [(200, "accepted"), (200, "duplicate"), (200, "duplicate")]
    assert service.responder.answered == ["你好"]
    assert service.outbox_keys() == ["reply:sms:dup-1"]
    assert [m.text for m in service.gateway.sent] == ["答：你好"]
    metrics = await (await client.get("/metrics")).text()
    assert 'jxjy_inbound_duplicates_total{channel="sms"} 2.0' in metrics
    assert 'jxjy_messages_in_total{channel="sms"} 1.0' in metrics


async def test_many_senders_retrying_at_once_are_each_answered_once(service: Service, client: Client) -> None:
    service.responder.delay = 0.05
    deliveries = [
        deliver(client, f"m-{n}", f"问题{n}", phone=f"1390000{n:04d}") for n in range(12) for _ in "abc"
    ]
    results = await asyncio.gather(*deliveries)
    await settle(client)
    assert sorted(status for _, status in results) == ["accepted"] * 12 + ["duplicate"] * 24
    assert sorted(service.responder.answered) == sorted(f"问题{n}" for n in range(12))
    assert len(service.outbox_keys()) == 12 and len(service.gateway.sent) == 12


async def test_a_retry_while_a_dead_claim_is_fresh_is_told_to_come_back(
    service: Service, client: Client
) -> None:
    # An instance claimed the message and died before answering it.
    assert service.store.claim("sms", "dead-1", PHONE, "你好", service.clock.now()) == "new"
    service.services.in_flight_wait = 0.2
    body, headers = signed({"id": "dead-1", "from": PHONE, "text": "你好"})
    resp = await client.post("/sms/inbound", data=body, headers=headers)
    assert resp.status == 503 and resp.headers["Retry-After"] == "10"
    assert service.responder.answered == []
    service.clock.advance(dt.timedelta(seconds=61))  # the claim lapses: the next retry answers
    assert await deliver(client, "dead-1", "你好") == (200, "accepted")
    await settle(client)
    assert service.responder.answered == ["你好"] and [m.text for m in service.gateway.sent] == ["答：你好"]
    assert await deliver(client, "dead-1", "你好") == (200, "duplicate")


async def test_a_retry_after_the_reply_was_queued_is_a_duplicate(service: Service, client: Client) -> None:
    # The claimer queued its reply and died before marking the message handled.
    now = service.clock.now()
    assert service.store.claim("sms", "late-1", PHONE, "你好", now) == "new"
    assert service.services.outbox.enqueue_reply("reply:sms:late-1", "sms", PHONE, "答：你好", now)
    service.clock.advance(dt.timedelta(minutes=2))
    assert await deliver(client, "late-1", "你好") == (200, "duplicate")
    assert service.responder.answered == [] and service.outbox_keys() == ["reply:sms:late-1"]
    with service.engine.connect() as conn:
        assert conn.execute(select(INBOUND.c.handled_at)).scalar_one() is not None


async def test_past_the_cap_a_sender_is_stored_not_answered(
    engine: Engine, tmp_path: Path, aiohttp_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An auto-responder talking to the bot: after the cap, no more (paid) replies this hour."""
    caplog.set_level(logging.INFO)
    service = Service(engine, tmp_path, cap=3)
    service.responder.delay = 0
    service.dispatcher.start()
    try:
        client = await aiohttp_client(build_app(service.services))
        for n in range(5):
            assert await deliver(client, f"loop-{n}", "您好，我现在不方便接听") == (200, "accepted")
            service.clock.advance(dt.timedelta(minutes=1))
        assert await deliver(client, "other-1", "你好", phone="13900000000") == (200, "accepted")
        await settle(client)
        assert service.outbox_keys() == [f"reply:sms:loop-{n}" for n in range(3)] + ["reply:sms:other-1"]
        assert len(service.responder.answered) == 4
        with engine.connect() as conn:  # every message is stored, and none is left to answer
            rows = conn.execute(select(INBOUND.c.provider_id, INBOUND.c.handled_at)).all()
        assert len(rows) == 6 and all(handled is not None for _, handled in rows)
        metrics = await (await client.get("/metrics")).text()
        assert 'jxjy_inbound_capped_total{channel="sms"} 2.0' in metrics
        assert "138****5678: 4 messages this hour (cap 3)" in caplog.text and PHONE not in caplog.text
        service.clock.advance(dt.timedelta(hours=1))  # an hour on, the sender is answered again
        assert await deliver(client, "loop-9", "您好") == (200, "accepted")
        await settle(client)
        assert service.outbox_keys()[-1] == "reply:sms:loop-9"
    finally:
        service.dispatcher.stop()


def test_the_cap_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).inbound_per_sender_hour == 20
    monkeypatch.setenv("JXJY_INBOUND_PER_SENDER_HOUR", "7")
    assert Settings(data_dir=tmp_path).inbound_per_sender_hour == 7
