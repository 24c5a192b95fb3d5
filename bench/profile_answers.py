"""Answers per second of the brain's handle() on the answer sets' distinct messages, in-process, with a profile.

The brain is built as `jxjy ask --jsonl` builds it (``Runtime.create`` and ``runtime.brain()``) and answers the
same lines as ``bench/bench_nlu.py``'s distinct run (more distinct texts than the parse cache keeps). Prints the
best wall and CPU time of ``--runs`` runs; ``--profile N`` adds a cProfile of one more run, its top N by own time
and by cumulative time. ``CHECKOUT`` measures another tree (a git worktree) with this interpreter.

    python bench/profile_answers.py [CHECKOUT] [--runs 3] [--lines 20000] [--profile 15]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

NOW = "2023-11-24T10:00:00+08:00"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--profile", type=int, default=0, help="top N functions of a profiled run")
    args = parser.parse_args()
    root = Path(args.checkout).resolve()
    sys.path.insert(0, str(root))
    os.environ["JXJY_DATA_DIR"] = os.environ.get("JXJY_BENCH_DATA_DIR") or tempfile.mkdtemp(
        prefix="jxjy-prof-"
    )
    os.environ.pop("JXJY_DATABASE_URL", None)
    from bot.app import Runtime
    from bot.kernel.messages import Inbound

    seen: dict[str, None] = {}
    for path in sorted((root / "bench" / "answer_sets").glob("set*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.setdefault(json.loads(line)["text"], None)
    distinct = list(seen)
    lines = [(f"u{i % 500}", distinct[i % len(distinct)]) for i in range(args.lines)]

    def run() -> tuple[float, float]:
        brain = Runtime.create(now=NOW).brain()  # a fresh brain: no conversation or parse carried over
        brain.handle(Inbound("jsonl", "warm", "费用"))
        wall, cpu = time.perf_counter(), time.process_time()
        for user, text in lines:
            brain.handle(Inbound("jsonl", user, text))
        return time.perf_counter() - wall, time.process_time() - cpu

    run()  # trains the model into the data dir when it is not cached yet
    results = [run() for _ in range(args.runs)]
    wall = min(r[0] for r in results)
    cpu = min(r[1] for r in results)
    print(f"{root.name}: {len(distinct)} distinct texts, {len(lines)} answers, best of {args.runs}")
    print(
        f"  wall {wall:.2f} s → {len(lines) / wall:,.0f} answers/s; CPU {cpu:.2f} s → {len(lines) / cpu:,.0f}/s"
    )
    print(f"  all runs (wall, CPU): {', '.join(f'({w:.2f}, {c:.2f})' for w, c in results)}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run()
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile * 2)


if __name__ == "__main__":
    main()
