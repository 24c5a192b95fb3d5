"""Inbound SMS against `jxjy serve` in its own process, on loopback: throughput, latency, CPU, memory.

Each request is a new message from a new number, delivered as the chosen channel does: the generic
gateway's signed JSON (/sms/inbound), an Aliyun SmsUp push or a Tencent 短信回复 push. The service stores
it, answers it, queues the reply in the outbox before its 200 and sends it through the log gateway
(sent.jsonl). After the load the bench waits until every reply is in sent.jsonl and checks that each
message was answered exactly once.

Usage: python bench/bench_sms.py [--requests 2000] [--concurrency 32] [--rate R] [--url DATABASE_URL]
                                 [--channel generic|aliyun|tencent] [--memory]
  --rate    open loop: offer R requests a second (latency counted from when each was due); without it,
            closed loop: --concurrency clients each send the next as soon as the last is answered
  --url     a PostgreSQL URL (its public schema is wiped); default: SQLite in a temporary data dir
  --memory  afterwards send 10,000 more and report the server's peak memory
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import (
    SMS_CHANNELS,
    Meter,
    free_port,
    load,
    memory_kib,
    reset_postgres,
    running_service,
    service_env,
    sms_request,
    train_model,
)


def sent_lines(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def wait_all_sent(path: Path, expected: int, timeout: float = 120.0) -> float:
    """Seconds until sent.jsonl holds ``expected`` lines."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if len(sent_lines(path)) >= expected:
            return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError(f"only {len(sent_lines(path))} of {expected} replies were sent")


def answered_once(path: Path, expected: int) -> str:
    """How the replies in sent.jsonl went: each outbox row once, each sender (= message) once."""
    lines = sent_lines(path)
    rows = collections.Counter(line["id"] for line in lines)
    senders = collections.Counter(line["to"] for line in lines)
    doubles = sum(c - 1 for c in rows.values())
    verdict = "every message answered once" if len(senders) == expected == len(lines) else "NOT once each"
    return f"{len(lines)} replies to {len(senders)} senders, {doubles} doubles: {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--channel", choices=SMS_CHANNELS, default="generic")
    parser.add_argument("--url", default=None)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--data-dir", default=None, help="keep the data dir (and its NLU cache) here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir or tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        sent = data_dir / "sent.jsonl"
        sent.unlink(missing_ok=True)
        (data_dir / "jxjy.sqlite3").unlink(missing_ok=True)
        if args.url:
            reset_postgres(args.url)
        env = service_env(data_dir, args.url)
        train_model(env)
        port = free_port()
        label = f"sms ({args.channel}) {'postgresql' if args.url else 'sqlite'}"
        driven = f"at {args.rate:,.0f}/s" if args.rate else f"concurrency {args.concurrency}"
        with running_service(env, port, data_dir / "serve.log") as proc:
            _, rss_start = memory_kib(proc.pid)
            meter = Meter(proc.pid, postgres=args.url)
            meter.start()
            request = sms_request(port, channel=args.channel)
            result = asyncio.run(load(args.requests, args.concurrency, request, args.rate))
            print(result.summary(f"{label}, {driven}"))
            print(f"  until the last 200: {meter.report(args.requests)}")
            drained = wait_all_sent(sent, args.requests)
            print(
                f"  with the replies sent ({drained:.2f} s after the last 200): {meter.report(args.requests)}"
            )
            print(f"  {answered_once(sent, args.requests)}")
            if args.memory:
                extra = 10_000
                request = sms_request(port, args.requests, args.channel)
                result = asyncio.run(load(extra, args.concurrency, request, args.rate))
                print(result.summary(f"{label}, {extra} more"))
                wait_all_sent(sent, args.requests + extra)
                rss, peak = memory_kib(proc.pid)
                print(f"  {answered_once(sent, args.requests + extra)}")
                print(
                    f"  memory after {args.requests + extra} requests: RSS {rss / 1024:.0f} MB, "
                    f"peak {peak / 1024:.0f} MB (at start {rss_start / 1024:.0f} MB)"
                )


if __name__ == "__main__":
    main()
