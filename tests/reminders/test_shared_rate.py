"""Telegram's global limit (30 messages a second per bot) holds across every dispatcher on one database."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.kernel.clock import FixedClock
from ledger.db import make_engine, migrate
from reminders.dispatcher import Dispatcher, DispatchLimits
from reminders.gateways import Channel, Gateway, OutboundMessage, SendResult
from reminders.outbox import SqlOutbox
from reminders.pacing import SqlRateSlots
from reminders.policy import QuietHours
from tests.conftest import clean_database_url


def test_slots_are_handed_out_in_turn_whoever_asks(engine: Engine) -> None:
    first, second = SqlRateSlots(engine), SqlRateSlots(engine)
    now = 1_700_000_000.0
    slots = [(first if n % 2 else second).reserve_slot("telegram", 0.1, now) for n in range(6)]
    assert slots == pytest.approx([now + 0.1 * n for n in range(6)])
    # Later, after a quiet spell, the next slot is now.
    assert first.reserve_slot("telegram", 0.1, now + 60) == pytest.approx(now + 60)
    assert second.reserve_slot("other", 1.0, now) == pytest.approx(now)


class TimedGateway:
    def __init__(self, times: list[float]) -> None:
        self.times = times

    async def send(self, msg: OutboundMessage) -> SendResult:
        self.times.append(time.monotonic())
        return SendResult.sent()


@pytest.mark.postgres
async def test_two_instances_share_one_telegram_rate(
    tmp_path: Path, clock: FixedClock, quiet: QuietHours
) -> None:
    url = clean_database_url("postgres", tmp_path)
    setup = make_engine(url)
    migrate(setup)
    outbox = SqlOutbox(setup)
    for n in range(60):
        outbox.enqueue_reply(f"reply:tg:{n}", "telegram", str(1000 + n), "答复", clock.now())
    times: list[float] = []
    limits = DispatchLimits(batch_size=10, telegram_per_second=40, telegram_per_chat_per_second=1000)
    engines = [make_engine(url) for _ in range(2)]
    dispatchers = []
    for engine in engines:
        gateways: dict[Channel, Gateway] = {"telegram": TimedGateway(times)}
        dispatcher = Dispatcher(SqlOutbox(engine), gateways, clock, quiet, limits)
        dispatcher.start()
        dispatchers.append(dispatcher)
    started = time.monotonic()
    summaries = await asyncio.gather(*(d.dispatch_due() for d in dispatchers))
    elapsed = time.monotonic() - started
    for dispatcher in dispatchers:
        dispatcher.stop()
    for engine in (*engines, setup):
        engine.dispose()
    assert sum(s.sent for s in summaries) == 60 and all(s.sent for s in summaries)
    # 60 messages at 40 a second between them: at least 59 gaps of 25 ms, whichever instance sent them.
    assert elapsed >= 59 / 40 * 0.95
    times.sort()
    assert all(times[n + 40] - times[n] >= 0.95 for n in range(len(times) - 40))
