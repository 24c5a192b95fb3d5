"""Time planning reminders for 100,000 trainees: load (set-based queries) plus the pure policy.

Usage: python bench/bench_plan.py [--trainees N] [--url DATABASE_URL]   (default: a temporary SQLite file)
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from knowledge.campaign import load_campaign
from ledger.db import make_engine, migrate
from reminders.policy import QuietHours, candidate_keys, plan_reminders
from reminders.service import load_plan_inputs
from tests.reminders.support import insert_trainees, record, shanghai

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the packaged campaign's time zone


def seed(engine: Engine, trainees: int) -> None:
    """Write ``trainees`` varied trainees (every fifth on Telegram) straight into the ledger tables."""
    rng = random.Random(7)
    records = [
        record(
            i,
            registered=(reg := rng.random() < 0.85),
            confirmed=(conf := reg and rng.random() < 0.7),
            paid=conf and rng.random() < 0.8,
            online_hours=rng.choice([0.0, 8.0, 20.0, 23.5, 32.0]),
            offline_hours=rng.choice([0.0, 4.0, 12.0]),
            audited=rng.random() < 0.3,
            opted_out=rng.random() < 0.02,
        )
        for i in range(1, trainees + 1)
    ]
    insert_trainees(engine, records, telegram={i: str(9_000_000 + i) for i in range(1, trainees, 5)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trainees", type=int, default=100_000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.sqlite3"
        engine = make_engine(url)
        migrate(engine)
        seed(engine, args.trainees)
        campaign = load_campaign()
        quiet = QuietHours.parse("21:00", "08:00", SHANGHAI)
        for when in ("2023-11-24T08:30", "2023-12-01T08:30"):
            now = shanghai(when)
            t0 = time.perf_counter()
            inputs = load_plan_inputs(engine, candidate_keys(campaign, now, quiet))
            t1 = time.perf_counter()
            planned = plan_reminders(
                inputs.records, campaign, now, sent=inputs.sent, telegram=inputs.telegram, quiet=quiet
            )
            t2 = time.perf_counter()
            print(
                f"{when}: {len(inputs.records)} trainees, {len(planned)} reminders; "
                f"load {t1 - t0:.2f} s + plan {t2 - t1:.2f} s = {t2 - t0:.2f} s"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
