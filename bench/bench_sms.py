"""Signed inbound SMS against `jxjy serve` in its own process, on loopback: throughput, latency, memory.

Each request is a new provider id from a new number; the service stores it, answers it, queues the reply in
the outbox before its 200 and sends it through the log gateway (sent.jsonl). After the load the bench waits
until every reply is in sent.jsonl and checks that each went out exactly once.

Usage: python bench/bench_sms.py [--requests 2000] [--concurrency 32] [--url DATABASE_URL] [--memory]
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
    cpu_seconds,
    free_port,
    load,
    memory_kib,
    reset_postgres,
    running_service,
    service_env,
    sms_request,
    train_model,
)


def sent_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines() if line]


def wait_all_sent(path: Path, expected: int, timeout: float = 120.0) -> float:
    """Seconds until sent.jsonl holds ``expected`` lines."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if len(sent_lines(path)) >= expected:
            return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError(f"only {len(sent_lines(path))} of {expected} replies were sent")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--url", default=None)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--data-dir", default=None, help="keep the data dir (and its NLU cache) here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir or tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "sent.jsonl").unlink(missing_ok=True)
        (data_dir / "jxjy.sqlite3").unlink(missing_ok=True)
        if args.url:
            reset_postgres(args.url)
        env = service_env(data_dir, args.url)
        train_model(env)
        port = free_port()
        label = "postgresql" if args.url else "sqlite"
        with running_service(env, port, data_dir / "serve.log") as proc:
            _, rss_start = memory_kib(proc.pid)
            cpu0 = cpu_seconds(proc.pid)
            result = asyncio.run(load(args.requests, args.concurrency, sms_request(port)))
            print(result.summary(f"sms {label}, concurrency {args.concurrency}"))
            drained = wait_all_sent(data_dir / "sent.jsonl", args.requests)
            per_request = (cpu_seconds(proc.pid) - cpu0) / args.requests * 1000
            print(f"  server CPU per request (answer, queue, send): {per_request:.2f} ms")
            ids = collections.Counter(sent_lines(data_dir / "sent.jsonl"))
            doubles = sum(c - 1 for c in ids.values())
            print(f"  all {len(ids)} replies sent {drained:.2f} s after the last 200; doubles: {doubles}")
            if args.memory:
                extra = 10_000
                result = asyncio.run(load(extra, args.concurrency, sms_request(port, args.requests)))
                print(result.summary(f"sms {label}, {extra} more"))
                wait_all_sent(data_dir / "sent.jsonl", args.requests + extra)
                rss, peak = memory_kib(proc.pid)
                print(
                    f"  memory after {args.requests + extra} requests: RSS {rss / 1024:.0f} MB, "
                    f"peak {peak / 1024:.0f} MB (at start {rss_start / 1024:.0f} MB)"
                )


if __name__ == "__main__":
    main()
