"""Answers per CPU-second of the whole brain over the held-out sets, for comparing two trees on a busy machine.

CPU time is what other jobs on a shared machine disturb least. Run it for this tree and for another checkout
(a git worktree of an older commit, with its own virtual environment):

    python bench/bench_answers_cpu.py [CHECKOUT] [--answers 20000]   # run twice: the first trains the model
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--cache", default="~/.cache/jxjy-bench", help="the model cache (trained once)")
    args = parser.parse_args()
    root = Path(args.checkout).resolve()
    sys.path.insert(0, str(root))
    started = time.process_time()
    from bot.dialogue.brain import Brain
    from bot.kernel.clock import parse_now
    from bot.kernel.messages import Inbound
    from knowledge.campaign import load_campaign
    from nlu.interpreter import LocalInterpreter

    campaign = load_campaign()
    cache = Path(args.cache).expanduser()
    interpreter = LocalInterpreter.from_files(cache_dir=cache)
    brain = Brain(campaign, interpreter, parse_now("2023-11-24T10:00:00+08:00", campaign.tz))
    brain.handle(Inbound("cli", "warm", "费用多少"))
    ready = time.process_time()
    texts = []
    for path in sorted((root / "tests" / "nlu" / "heldout").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line) if line.strip().startswith("{") else {}
            if isinstance(item.get("text"), str):
                texts.append(item["text"])
    texts = (texts * (args.answers // max(len(texts), 1) + 1))[: args.answers]
    begin = time.process_time()
    for n, text in enumerate(texts):
        brain.handle(Inbound("cli", str(n % 50), text))
    spent = time.process_time() - begin
    print(
        f"{root.name}: start-up {ready - started:.2f} CPU-s; "
        f"{len(texts)} answers in {spent:.2f} CPU-s = {len(texts) / spent:,.0f} answers per CPU-second"
    )


if __name__ == "__main__":
    main()
