"""Bench only: where a request's time went, from phase_probe.py's file and the client's times.

Usage: python bench/phase_report.py PHASES_FILE [--skip 0.15]
  Phases of the requests the client saw slowest (its p99 and above) against the median request, the
  batches, the event loop's lag and the dispatcher's passes. ``--skip`` leaves out the first part of the run.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path
from typing import Any

STEPS = (  # (name, from, to): a phase's time between two marks
    ("client: due -> sent", "due", "sent"),
    ("sent -> handler", "sent", "enter"),
    ("handler -> claim", "enter", "GroupIntake>"),
    ("claim batch", "GroupIntake>", "GroupIntake<"),
    ("claim -> answer", "GroupIntake<", "answer>"),
    ("wait for a thread", "answer>", "thread>"),
    ("answer in thread", "thread>", "thread<"),
    ("thread -> loop", "thread<", "answer<"),
    ("answer -> commit", "answer<", "GroupCommit>"),
    ("commit batch", "GroupCommit>", "GroupCommit<"),
    ("commit -> handler end", "GroupCommit<", "exit"),
    ("handler end -> client", "exit", "done"),
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q) - 1))] if ordered else float("nan")


def matched(data: dict[str, Any], client: list[list[float]]) -> list[dict[str, float]]:
    """One dict of marks per request the client timed, joined by the number in the message's id."""
    by_id: dict[int, dict[str, float]] = {}
    for record in data["requests"]:
        marks: dict[str, float] = {}
        ident = None
        for mark in record:
            if mark[0] in marks:
                continue  # a later pass of the same step (the dispatcher spawned from here): keep the first
            marks[mark[0]] = mark[1]
            if mark[0] == "GroupIntake>" and len(mark) > 2:
                digits = re.findall(r"\d+", str(mark[2]))
                ident = int(digits[-1]) if digits else None
            if mark[0] == "exit":
                break
        if ident is not None:
            by_id[ident] = marks
    ns = sorted(int(c[0]) for c in client)
    ids = sorted(by_id)
    sent = {int(c[0]): c[2] for c in client}

    def fit(off: int) -> tuple[int, float]:  # most requests matched, then the handler nearest their send
        pairs = [(by_id[n + off]["enter"], sent[n]) for n in ns if n + off in by_id]
        return len(pairs), -statistics.median(abs(e - s) for e, s in pairs) if pairs else 0.0

    best = max({i - n for i in ids[:3] for n in ns[:3]} | {0}, key=fit)
    rows = []
    for n, due, sent, done in client:
        marks = by_id.get(int(n) + best)
        if marks is not None:
            rows.append({**marks, "due": due, "sent": sent, "done": done})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--skip", type=float, default=0.15)
    args = parser.parse_args()
    data = json.loads(Path(args.path).read_text())
    client = json.loads(Path(args.path + ".client").read_text())
    rows = sorted(matched(data, client), key=lambda r: r["due"])
    rows = rows[int(len(rows) * args.skip) :]
    start, end = rows[0]["due"], rows[-1]["done"]
    total = [r["done"] - r["due"] for r in rows]
    p99 = pct(total, 0.99)
    slow = [r for r in rows if r["done"] - r["due"] >= pct(total, 0.98)]
    print(f"{len(rows)} requests matched of {len(client)}; client p50 {pct(total, 0.5) * 1e3:.1f}, "
          f"p99 {p99 * 1e3:.1f} ms; the slowest 2 %: {len(slow)}")  # fmt: skip
    print(f"{'phase':24} {'p50 all':>8} {'p99 all':>8} {'mean slow2%':>12} {'max slow':>9}")
    for name, a, b in STEPS:
        every = [r[b] - r[a] for r in rows if a in r and b in r]
        few = [r[b] - r[a] for r in slow if a in r and b in r]
        if not every:
            continue
        print(f"{name:24} {pct(every, .5) * 1e3:8.2f} {pct(every, .99) * 1e3:8.2f} "
              f"{(statistics.mean(few) if few else float('nan')) * 1e3:12.2f} "
              f"{(max(few) if few else float('nan')) * 1e3:9.2f}")  # fmt: skip
    for kind in sorted({b[0] for b in data["batches"]}):
        these = [b for b in data["batches"] if b[0] == kind and start <= b[2] <= end and len(b) == 6]
        if not these:
            continue
        size = [b[1] for b in these]
        hop = [b[3] - b[2] for b in these]
        inside = [b[4] - b[3] for b in these]
        back = [b[5] - b[4] for b in these]
        print(f"{kind}: {len(these)} batches, size p50 {pct(size, .5)} max {max(size)}; to thread p50/p99 "
              f"{pct(hop, .5) * 1e3:.2f}/{pct(hop, .99) * 1e3:.2f}, in thread {pct(inside, .5) * 1e3:.2f}/"
              f"{pct(inside, .99) * 1e3:.2f}, back {pct(back, .5) * 1e3:.2f}/{pct(back, .99) * 1e3:.2f} ms")  # fmt: skip
    lags = [lag for at, lag in data["lags"] if start <= at <= end]
    span = end - start
    print(f"event loop late by > 2 ms: {len(lags)} times in {span:.1f} s; "
          f"worst {max(lags, default=0) * 1e3:.1f} ms, sum {sum(lags) * 1e3:.0f} ms")  # fmt: skip
    passes = [(a, b) for a, b in data["passes"] if b >= start and a <= end]
    print(
        f"dispatcher passes in the window: {len(passes)}, longest {max((b - a for a, b in passes), default=0):.2f} s"
    )
    # When did the slow requests happen? Their due times relative to the window, and lag nearby.
    print("slowest requests (due offset s, total ms, phases ms):")
    for r in sorted(slow, key=lambda r: r["done"] - r["due"], reverse=True)[:8]:
        parts = " ".join(f"{(r[b] - r[a]) * 1e3:.0f}"
                         for _, a, b in STEPS if a in r and b in r)  # fmt: skip
        near = [lag for at, lag in data["lags"] if r["due"] - 0.05 <= at <= r["done"]]
        print(f"  {r['due'] - start:6.2f} {(r['done'] - r['due']) * 1e3:6.1f}  [{parts}]  "
              f"loop lag nearby: {sum(near) * 1e3:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
