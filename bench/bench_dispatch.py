"""Measure dispatch throughput: outbox rows sent through HttpSmsGateway to a fake gateway on 127.0.0.1.

Usage: python bench/bench_dispatch.py [--messages N] [--concurrency C] [--url DATABASE_URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from zoneinfo import ZoneInfo

from bot.channels.sms_http import HttpSmsGateway, sign
from bot.kernel.clock import FixedClock
from ledger.db import make_engine, migrate
from reminders.dispatcher import Dispatcher, DispatchLimits
from reminders.outbox import SqlOutbox
from reminders.policy import QuietHours, Reminder
from tests.reminders.support import insert_trainees, record, shanghai

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the packaged campaign's time zone

SECRET = "bench-secret"
ACCEPTED = web.AppKey("accepted", list)


def fake_gateway() -> web.Application:
    """A generic SMS gateway that checks the signature and accepts everything."""

    async def send(request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("X-Jxjy-Signature") != sign(body, SECRET):
            return web.json_response({"error": "bad signature"}, status=403)
        request.app[ACCEPTED].append(json.loads(body)["id"])
        return web.json_response({"id": f"p{len(request.app[ACCEPTED])}"})

    app = web.Application()
    app[ACCEPTED] = []
    app.router.add_post("/send", send)
    return app


async def run(url: str, messages: int, concurrency: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    insert_trainees(engine, [record(i) for i in range(1, messages + 1)])
    at = shanghai("2023-11-20T09:00")
    SqlOutbox(engine).enqueue(
        [
            Reminder(i, f"学员{i}", "sms", f"138{i:08d}", at, ("registration",), (), f"消息{i}", f"bench:{i}")
            for i in range(1, messages + 1)
        ],
        at,
    )
    app = fake_gateway()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    gateway = HttpSmsGateway(f"http://127.0.0.1:{port}/send", SECRET)
    clock = FixedClock(shanghai("2023-11-20T10:00"))
    quiet = QuietHours.parse("21:00", "08:00", SHANGHAI)
    limits = DispatchLimits(batch_size=200, concurrency=concurrency)
    dispatcher = Dispatcher(SqlOutbox(engine), {"sms": gateway}, clock, quiet, limits)
    dispatcher.start()
    t0 = time.perf_counter()
    summary = await dispatcher.dispatch_due()
    elapsed = time.perf_counter() - t0
    dispatcher.stop()
    await gateway.aclose()
    await runner.cleanup()
    engine.dispose()
    assert summary.sent == messages == len(set(app[ACCEPTED])), summary
    print(f"{engine.dialect.name}: {messages} messages in {elapsed:.2f} s = {messages / elapsed:,.0f} msg/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    if args.url:
        from serving import reset_postgres

        reset_postgres(args.url)  # its public schema is wiped
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.url or f"sqlite:///{tmp}/bench.sqlite3", args.messages, args.concurrency))


if __name__ == "__main__":
    main()
