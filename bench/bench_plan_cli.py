"""Time `jxjy reminders plan --json` for 100,000 trainees as a user runs it: a whole process, output to a file.

Usage: python bench/bench_plan_cli.py [--trainees 100000] [--url DATABASE_URL] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_plan import seed
from serving import jxjy, reset_postgres, service_env

from ledger.db import make_engine, migrate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trainees", type=int, default=100_000)
    parser.add_argument("--url", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--now", default="2023-11-24T08:30:00+08:00")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/jxjy.sqlite3"
        if args.url:
            reset_postgres(args.url)
        engine = make_engine(url)
        migrate(engine)
        seed(engine, args.trainees)
        engine.dispose()
        env = service_env(Path(tmp), url)
        out = Path(tmp) / "plan.json"
        command = [jxjy(), "reminders", "plan", "--now", args.now, "--json"]
        times, cpu = [], []
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            with out.open("wb") as fh:
                subprocess.run(command, env=env, stdout=fh, check=True)
            times.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        planned = json.loads(out.read_text("utf-8"))
        label = "postgresql" if args.url else "sqlite"
        print(
            f"jxjy reminders plan --json, {args.trainees} trainees on {label}: {len(planned)} reminders, "
            f"{out.stat().st_size / 1e6:.1f} MB; wall best {min(times):.2f} s (runs "
            f"{', '.join(f'{t:.2f}' for t in times)}), CPU best {min(cpu):.2f} s"
        )


if __name__ == "__main__":
    main()
