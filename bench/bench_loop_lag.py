"""The event loop's worst lag while the scheduler plans for 100,000 trainees and dispatches what is due.

A probe coroutine sleeps 5 ms in a loop and records how late it wakes up; any blocking work on the loop
(planning, SQL, fsync) shows up as lag. The HTTP endpoints share this loop in `jxjy serve`, so the worst
lag is the worst extra latency a request can see from the background work. Target: at most 50 ms.

Usage: python bench/bench_loop_lag.py [--trainees 100000] [--dispatch 5000] [--url DATABASE_URL]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from zoneinfo import ZoneInfo

from bench_plan import seed
from serving import reset_postgres

from bot.kernel.clock import FixedClock
from knowledge.campaign import load_campaign
from ledger.db import make_engine, migrate
from reminders.dispatcher import DispatchLimits
from reminders.gateways import Channel, Gateway, LogSmsGateway, MemoryGateway
from reminders.policy import QuietHours
from reminders.scheduler import ReminderScheduler
from tests.reminders.support import shanghai

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the packaged campaign's time zone

PROBE_INTERVAL = 0.005


@dataclass
class LagProbe:
    """Wake every 5 ms and remember the worst lateness."""

    worst: float = 0.0
    samples: list[float] = field(default_factory=list)
    _stop: bool = False

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop:
            before = loop.time()
            await asyncio.sleep(PROBE_INTERVAL)
            lag = loop.time() - before - PROBE_INTERVAL
            self.samples.append(lag)
            self.worst = max(self.worst, lag)

    def stop(self) -> None:
        self._stop = True

    def report(self, label: str, seconds: float) -> str:
        ordered = sorted(self.samples) or [0.0]
        p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
        return (
            f"{label}: {seconds:.2f} s; loop lag worst {self.worst * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms over {len(self.samples)} probes"
        )


async def measure(label: str, work: Callable[[], Awaitable[object]]) -> object:
    probe = LagProbe()
    prober = asyncio.create_task(probe.run())
    await asyncio.sleep(0.05)  # the probe is running before the work starts
    started = time.perf_counter()
    result = await work()
    seconds = time.perf_counter() - started
    probe.stop()
    await prober
    print(probe.report(label, seconds))
    return result


async def run(url: str, trainees: int, dispatch: int, log_file: Path) -> None:
    engine = make_engine(url)
    migrate(engine)
    seed(engine, trainees)
    gc.collect()
    gc.freeze()  # as `jxjy serve` does before serving (bot.server.run)
    clock = FixedClock(shanghai("2023-11-24T08:30"))
    quiet = QuietHours.parse("21:00", "08:00", SHANGHAI)
    gateways: dict[Channel, Gateway] = {"sms": LogSmsGateway(log_file), "telegram": MemoryGateway()}
    limits = DispatchLimits(telegram_per_second=10_000, telegram_per_chat_per_second=10_000)
    scheduler = ReminderScheduler(engine, load_campaign(), clock, quiet, gateways, limits)
    planned = await measure("plan sweep", scheduler.plan_sweep)
    print(f"  planned, newly queued: {planned}")
    scheduler.dispatcher.start()
    summary = await measure(
        f"dispatch of {dispatch}", lambda: scheduler.dispatcher.dispatch_due(max_messages=dispatch)
    )
    print(f"  {summary}")
    scheduler.dispatcher.stop()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trainees", type=int, default=100_000)
    parser.add_argument("--dispatch", type=int, default=5000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            reset_postgres(args.url)
        url = args.url or f"sqlite:///{tmp}/jxjy.sqlite3"
        asyncio.run(run(url, args.trainees, args.dispatch, Path(tmp) / "sent.jsonl"))


if __name__ == "__main__":
    main()
