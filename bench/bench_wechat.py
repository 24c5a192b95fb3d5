"""WeChat official-account pushes against `jxjy serve` in its own process, on loopback.

Each request is a signed text push (plaintext mode) from a new follower; the service claims it under its
MsgId, answers it and gives the answer in the HTTP response itself (the passive reply), logged in the
outbox as sent. The bench checks that every push got an answer in its response and that the outbox holds
exactly one passive answer per push.

Usage: python bench/bench_wechat.py [--requests 2000] [--concurrency 32] [--rate R] [--url DATABASE_URL]
  --rate    open loop: offer R pushes a second (see bench_sms.py)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import (
    SMS_TEXTS,
    Meter,
    free_port,
    load,
    memory_kib,
    reset_postgres,
    running_service,
    service_env,
    train_model,
)

from reminders.outbox import OUTBOX
from reminders.passive import PASSIVE
from tests.fakes.wechat_api import signed_query, text_push

TOKEN = "bench-wechat-token"


def push_request(port: int, answered: list[int]):  # type: ignore[no-untyped-def]
    """A text push from follower n; ``answered`` counts the responses that carry a passive reply."""

    async def send(session: aiohttp.ClientSession, n: int) -> int:
        openid = f"oBench{n:07d}"
        body = text_push(openid, SMS_TEXTS[n % len(SMS_TEXTS)], 10_000_000 + n, create_time=int(time.time()))
        query = signed_query(TOKEN, timestamp=int(time.time()), nonce=f"n{n}", openid=openid)
        async with session.post(f"http://127.0.0.1:{port}/wechat", params=query, data=body.encode()) as resp:
            text = await resp.text()
            if "<Content>" in text:
                answered.append(n)
            return resp.status

    return send


def passive_answers(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(OUTBOX.c.channel == "wechat", OUTBOX.c.provider_id == PASSIVE)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
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
        env = service_env(data_dir, args.url, JXJY_WECHAT_TOKEN=TOKEN)
        train_model(env)
        port = free_port()
        label = f"wechat {'postgresql' if args.url else 'sqlite'}"
        driven = f"at {args.rate:,.0f}/s" if args.rate else f"concurrency {args.concurrency}"
        answered: list[int] = []
        with running_service(env, port, data_dir / "serve.log") as proc:
            meter = Meter(proc.pid, postgres=args.url)
            meter.start()
            result = asyncio.run(
                load(args.requests, args.concurrency, push_request(port, answered), args.rate)
            )
            print(result.summary(f"{label}, {driven}"))
            print(f"  {meter.report(args.requests, 'push')}")
            rss, peak = memory_kib(proc.pid)
        logged = passive_answers(args.url or f"sqlite:///{data_dir / 'jxjy.sqlite3'}")
        once = (
            "every push answered once" if len(set(answered)) == args.requests == logged else "NOT once each"
        )
        print(
            f"  {len(answered)} passive answers in the responses, {logged} in the outbox: {once}; "
            f"RSS {rss / 1024:.0f} MB, peak {peak / 1024:.0f} MB"
        )


if __name__ == "__main__":
    main()
