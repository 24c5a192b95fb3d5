"""Telegram webhook updates against `jxjy serve` in its own process, answered through a fake Bot API.

The fake Bot API (tests/fakes/telegram_api.py) runs in this process on loopback; `jxjy serve` is started in
webhook mode against it. Each update is a new chat; the bench measures the webhook's requests per second
and latency, then waits until every update has been answered with a sendMessage.

Telegram allows a bot 30 messages a second, and the dispatcher keeps to that: the answers go out over
about a minute after the last 200. The CPU is reported until the last 200 (receiving, answering, queueing)
and again once every answer is sent (PTB's sendMessage included).

Usage: python bench/bench_telegram.py [--updates 2000] [--concurrency 32] [--rate R] [--url DATABASE_URL]
  --rate    open loop: offer R updates a second (see bench_sms.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import (
    Meter,
    free_port,
    load,
    memory_kib,
    reset_postgres,
    running_service,
    service_env,
    train_model,
)

from tests.fakes.build_updates import text_update
from tests.fakes.telegram_api import FakeTelegramApi

WEBHOOK_SECRET = "bench-webhook-secret"
TEXTS = ("报名时间是什么时候", "在哪里确认", "学费多少钱", "线上要学多少学时", "怎么缴费")


def update_request(port: int):  # type: ignore[no-untyped-def]
    async def send(session: aiohttp.ClientSession, n: int) -> int:
        body = json.dumps(
            text_update(100_000 + n, TEXTS[n % len(TEXTS)], update_id=n + 1), ensure_ascii=False
        )
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"}
        async with session.post(
            f"http://127.0.0.1:{port}/telegram/webhook", data=body, headers=headers
        ) as resp:
            await resp.read()
            return resp.status

    return send


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    fake = FakeTelegramApi()
    runner = web.AppRunner(fake.build_app(), access_log=None)
    await runner.setup()
    api_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", api_port).start()
    fake.base_url = f"http://127.0.0.1:{api_port}/bot"
    env = service_env(
        data_dir,
        args.url,
        JXJY_TELEGRAM_TOKEN=fake.token,
        JXJY_TELEGRAM_API_URL=fake.base_url,
        JXJY_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    await asyncio.to_thread(train_model, env)
    port = free_port()
    label = "postgresql" if args.url else "sqlite"
    with running_service(env, port, data_dir / "serve.log") as proc:
        # The webhook answers 503 until the Bot API has been reached: wait for it.
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                if await update_request(port)(session, -1) == 200:
                    break
                await asyncio.sleep(0.05)
        await fake.wait_for_sent(1, timeout=30)
        _, rss_start = memory_kib(proc.pid)
        meter = Meter(proc.pid, postgres=args.url)
        meter.start()
        result = await load(args.updates, args.concurrency, update_request(port), args.rate)
        driven = f"at {args.rate:,.0f}/s" if args.rate else f"concurrency {args.concurrency}"
        print(result.summary(f"telegram webhook {label}, {driven}"))
        print(f"  until the last 200: {meter.report(args.updates, 'update')}")
        started = time.perf_counter()
        await fake.wait_for_sent(args.updates + 1, timeout=max(300.0, args.updates / 25 + 60))
        drained = time.perf_counter() - started
        chats = {m.chat_id for m in fake.sent}
        rss, peak = memory_kib(proc.pid)
        print(
            f"  with every answer sent ({drained:.1f} s after the last 200): {meter.report(args.updates, 'update')}"
        )
        once = (
            "every update answered once"
            if len(chats) - 1 == args.updates == len(fake.sent) - 1
            else "NOT once"
        )
        print(
            f"  {len(fake.sent) - 1} answers to {len(chats) - 1} chats: {once}; "
            f"RSS {rss / 1024:.0f} MB, peak {peak / 1024:.0f} MB (at start {rss_start / 1024:.0f} MB)"
        )
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--url", default=None)
    parser.add_argument("--data-dir", default=None, help="keep the data dir (and its NLU cache) here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir or tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "jxjy.sqlite3").unlink(missing_ok=True)
        if args.url:
            reset_postgres(args.url)
        asyncio.run(run(args, data_dir))


if __name__ == "__main__":
    main()
