"""Measure the NLU targets of issue 2 through the real command line.

- startup to the first answer of `jxjy ask --jsonl` (warm model cache; target ≤ 1.0 s), and a cold start
- answers per second through `jxjy ask --jsonl` (target ≥ 5,000/s), on distinct messages (no parse reused from
  the interpreter's cache) and on a few messages repeated
- p50/p99 of one parse in-process, on distinct messages
- peak memory of the `ask --jsonl` run (target ≤ 150 MB)

Each `ask --jsonl` figure comes with the CPU time of that process (user + system): on a machine shared with
other jobs, wall time varies with their load, CPU time much less. ``--checkout DIR`` measures another tree (a git
worktree of an older commit) with this script and this virtual environment.

Usage: python bench/bench_nlu.py [--lines 20000] [--checkout DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = "2023-11-24T10:00:00+08:00"
MESSAGES = [
    "费用多少",
    "资格确任在哪里",
    "電腦上怎麼學習",
    "那手机呢",
    "要交好多钱",
    "今天天气怎么样",
    "你好，请问一年要学多少学时",
    "么子时候截止",
    "附件4在哪里下载",
    "人脸识别不了怎么办",
]


def _distinct_messages() -> list[str]:
    """The messages of the answer sets, each once (several thousand, more than the parse cache keeps)."""
    seen: dict[str, None] = {}
    for path in sorted((ROOT / "bench" / "answer_sets").glob("set*.jsonl")):  # the same texts for every tree
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.setdefault(json.loads(line)["text"], None)
    return list(seen)


def _jxjy() -> list[str]:
    exe = shutil.which("jxjy")
    return [exe] if exe else [sys.executable, "-c", "from bot.cli import main; main()"]


def _run(lines: list[str], env: dict[str, str]) -> tuple[float, float, int, float]:
    """Run `ask --jsonl` over ``lines``; return (seconds to first output line, total seconds, peak KB, CPU
    seconds of the process)."""
    payload = "".join(lines).encode()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*_jxjy(), "ask", "--jsonl", "--now", NOW], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    stdin, stdout = proc.stdin, proc.stdout
    if stdin is None or stdout is None:
        raise SystemExit("no pipes to jxjy")

    def feed() -> None:  # in a thread, so a full output pipe never blocks our writing
        stdin.write(payload)
        stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    first = stdout.readline()
    first_at = time.perf_counter() - start
    rest = stdout.read()
    writer.join()
    _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - start
    if status != 0 or not first:
        raise SystemExit(f"jxjy ask --jsonl failed (status {status})")
    answered = 1 + rest.count(b"\n")
    if answered != len(lines):
        raise SystemExit(f"expected {len(lines)} answers, got {answered}")
    return first_at, total, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the tree to measure (default: this one)")
    args = parser.parse_args()
    root = args.checkout.resolve()
    data_dir = Path(tempfile.mkdtemp(prefix="jxjy-bench-"))
    env = {**os.environ, "JXJY_DATA_DIR": str(data_dir), "PYTHONPATH": str(root)}
    env.pop("JXJY_DATABASE_URL", None)
    one = [json.dumps({"user": "u", "text": "费用"}, ensure_ascii=False) + "\n"]

    cold_first, *_ = _run(one, env)  # trains and caches the model
    warm = sorted(_run(one, env)[::3] for _ in range(5))
    print(
        f"startup to first answer: cold {cold_first:.2f} s, warm median {statistics.median(warm)[0]:.3f} s "
        f"(best {warm[0][0]:.3f} s; CPU of the whole run, median {statistics.median(c for _, c in warm):.3f} s)"
    )

    # Distinct messages, more of them than the interpreter's parse cache keeps, so no parse is reused; then the
    # ten messages above over and over, as when many people ask the same few things (the cache hits).
    distinct = _distinct_messages()
    for label, texts in (
        (f"{len(distinct)} distinct messages, no parse reused", distinct),
        (f"{len(MESSAGES)} messages repeated, parses reused", MESSAGES),
    ):
        lines = [
            json.dumps({"user": f"u{i % 500}", "text": texts[i % len(texts)]}, ensure_ascii=False) + "\n"
            for i in range(args.lines)
        ]
        first, total, peak_kb, cpu = _run(lines, env)
        rate = (len(lines) - 1) / (total - first)
        print(
            f"throughput ({label}): {len(lines)} lines in {total:.2f} s → {rate:,.0f} answers/s (after the first); "
            f"CPU {cpu:.2f} s → {len(lines) / cpu:,.0f} answers per CPU-second (start-up included)"
        )
        print(f"peak memory (ask --jsonl, {len(lines)} lines): {peak_kb / 1024:.0f} MB")

    sys.path.insert(0, str(root))
    from nlu.interpreter import LocalInterpreter

    interpreter = LocalInterpreter.from_files(cache_dir=data_dir / "cache")
    samples = []
    for i in range(20000):
        text = distinct[i % len(distinct)]  # no parse reused
        t0 = time.perf_counter_ns()
        interpreter.parse(text)
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    p50, p99 = samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000
    print(f"one parse: p50 {p50:.0f} µs, p99 {p99:.0f} µs")
    print(f"this process peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
