"""Grade the bot's ANSWERS on held-out sets written from the notice alone, through `jxjy ask --jsonl`.

Each line of a set: {"id", "kind", "text", "now"?, "expect_start"?, "must_include"?, "must_not_include"?,
"silent"?}. A reply passes when it starts with one of ``expect_start`` (if given), contains one alternative of
every ``must_include`` group, none of ``must_not_include``, and, for ``silent`` items, says the notice does not
cover it and gives the hotline; a reply to an item the notice does cover must not claim it is silent.

Messages that also occur in the training data (normalised, or a character-3-gram Jaccard >= 0.8 near-duplicate)
are excluded from the figures. Accuracy comes with a 95 % Wilson interval, overall and per kind.

    python bench/grade_answers.py SET.jsonl [SET2.jsonl ...] [--repo DIR] [--errors] [--jobs N]

``--repo`` grades another checkout (e.g. an older commit in a git worktree) with this interpreter.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import unicodedata
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HOTLINE = ("0730-8981006", "13762061108")
SILENCE = (
    "没有说明",
    "未说明",
    "没有提到",
    "未提到",
    "没有规定",
    "未规定",
    "没有写",
    "没写",
    "不涉及",
    "没有涉及",
    "未涉及",
    "没有具体",
    "未作说明",
)
DEFAULT_NOW = "2023-11-20T10:00:00+08:00"


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def fold(text: str, to_simplified: object) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = to_simplified(text)  # type: ignore[operator]
    return "".join(ch for ch in text if ch.isalnum())


def grams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(max(1, len(text) - 2))}


def training_overlap(repo: Path, items: list[dict]) -> set[str]:
    """Ids of held-out items whose text is (nearly) a training example of the checkout at ``repo``."""
    import opencc  # type: ignore[import-untyped]
    import yaml

    convert = opencc.OpenCC("t2s").convert
    examples: list[str] = []
    for path in sorted((repo / "nlu" / "data").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []) or []:
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append(fold(line[2:], convert))
    exact = set(examples)
    indexed = [(e, grams(e)) for e in examples if e]
    overlap = set()
    for item in items:
        text = fold(item["text"], convert)
        if not text:
            continue
        if text in exact:
            overlap.add(item["id"])
            continue
        g = grams(text)
        for _, eg in indexed:
            if len(g & eg) / len(g | eg) >= 0.8:
                overlap.add(item["id"])
                break
    return overlap


def _ask(repo: Path, env: dict[str, str], now: str, items: list[dict], per_line: bool) -> dict[str, str]:
    """One `jxjy ask --jsonl` process answering ``items`` (each as its own user)."""
    lines = []
    for it in items:
        line = {"user": it["id"], "text": it["text"]}
        if per_line:
            line["now"] = it.get("now") or DEFAULT_NOW
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
    output = run_in(repo, env, [*ASK, "--now", now], lines, timeout=600)
    return {it["id"]: json.loads(line).get("answer", "") for it, line in zip(items, output, strict=True)}


# `jxjy ask` run by this interpreter inside a checkout (which need not be installed).
ASK = ["-c", "from bot.cli import main; main()", "ask", "--jsonl"]


def checkout_env(repo: Path, data_dir: str) -> dict[str, str]:
    """The environment that runs ``repo``'s code with its own data dir, on the embedded database."""
    env = {**os.environ, "JXJY_DATA_DIR": data_dir, "PYTHONPATH": str(repo)}
    env.pop("JXJY_DATABASE_URL", None)
    return env


def run_in(repo: Path, env: dict[str, str], args: list[str], lines: list[str], timeout: int) -> list[str]:
    """The output lines of ``python args`` run in ``repo`` with ``lines`` on stdin."""
    result = subprocess.run(
        [sys.executable, *args],
        input="".join(lines),
        capture_output=True,
        text=True,
        env=env,
        cwd=repo,
        timeout=timeout,
        check=True,
    )
    return result.stdout.splitlines()


def answers(repo: Path, items: list[dict], jobs: int) -> dict[str, str]:
    """Ask the bot every item (each as its own user) on ``jobs`` processes.

    A checkout whose `ask --jsonl` reads a moment per line answers everything in one run per job; an older
    one is asked once per moment.
    """
    per_line = '"now"' in (repo / "bot" / "jsonl.py").read_text(encoding="utf-8")
    if per_line:
        batches = [(DEFAULT_NOW, items[i::jobs]) for i in range(jobs) if items[i::jobs]]
    else:
        by_now: dict[str, list[dict]] = defaultdict(list)
        for item in items:
            by_now[item.get("now") or DEFAULT_NOW].append(item)
        batches = list(by_now.items())
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as data_dir:
        env = checkout_env(repo, data_dir)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for part in pool.map(lambda batch: _ask(repo, env, batch[0], batch[1], per_line), batches):
                out.update(part)
    return out


def grade(item: dict, reply: str) -> str | None:
    """None when the reply passes, else why it fails."""
    text = reply.strip()
    starts = item.get("expect_start")
    if starts and not any(text.startswith(s) for s in starts):
        return f"does not start with {starts}"
    for group in item.get("must_include") or []:
        if not any(alt in text for alt in group):
            return f"lacks {group}"
    for bad in item.get("must_not_include") or []:
        if bad in text:
            return f"contains {bad!r}"
    says_silent = any(m in text for m in SILENCE)
    if item.get("silent"):
        if not says_silent or not any(h in text for h in HOTLINE):
            return "does not say the notice is silent with the hotline"
    elif says_silent and not item.get("must_include") and item.get("kind") != "form":
        return "claims the notice is silent"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes answering at once")
    args = parser.parse_args()
    items = [
        json.loads(line)
        for path in args.sets
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    overlap = training_overlap(args.repo, items)
    replies = answers(args.repo, items, max(1, args.jobs))
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for item in items:
        if item["id"] in overlap:
            continue
        why = grade(item, replies[item["id"]])
        for key in ("all", item["kind"], "silent:true" if item.get("silent") else "silent:false"):
            per_kind[key][1] += 1
            per_kind[key][0] += why is None
        if why:
            failures.append((item, replies[item["id"]], why))
    print(f"{len(items)} messages, {len(overlap)} excluded as (near-)duplicates of training data")
    for key in sorted(per_kind, key=lambda k: (k != "all", k)):
        k, n = per_kind[key]
        lo, hi = wilson(k, n)
        print(f"{key:14} {k:4}/{n:<4} {k / n:6.1%}  95% CI {lo:.1%}–{hi:.1%}")
    if args.errors:
        for item, reply, why in failures:
            print(f"\n[{item['id']} {item['kind']}] {item['text']}\n  → {reply}\n  ✗ {why}")


if __name__ == "__main__":
    main()
