"""Check that two checkouts give byte-identical replies to every answer-set message (a speed-up must not change one).

Every message of ``bench/answer_sets/set*.jsonl`` is asked through `jxjy ask --jsonl` at its own ``now`` (only
``text`` and ``now`` are read, never the labels) on both checkouts, three ways: each message as its own user; each
set as one conversation (context, follow-ups, offered choices); and each message in the short (SMS) form,
in-process. Every output line (intent, confidence, answer) must be equal.

    python bench/same_replies.py /tmp/nlu-before [--repo .]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

from grade_answers import ASK, checkout_env, run_in  # the same way of running a checkout's `jxjy ask`

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NOW = "2023-11-24T10:00:00+08:00"
# Run inside the checkout: every message answered by the brain in the short form, as one SMS user each.
_SHORT = """
import json, sys, datetime as dt
from bot.app import Runtime
from bot.kernel.messages import Inbound
runtime = Runtime.create(now="2023-11-24T10:00:00+08:00")
brain = runtime.brain()
for n, line in enumerate(sys.stdin):
    item = json.loads(line)
    runtime.clock.set(dt.datetime.fromisoformat(item["now"]))
    reply = brain.handle(Inbound("sms", f"1380000{n:04d}", item["text"]))
    print(json.dumps([reply.intent, reply.confidence, reply.text], ensure_ascii=False))
"""


def messages() -> list[dict[str, str]]:
    """Each answer-set line as {set, text, now}."""
    out = []
    for path in sorted((ROOT / "bench" / "answer_sets").glob("set*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                out.append({"set": path.stem, "text": item["text"], "now": item.get("now") or DEFAULT_NOW})
    return out


def _run(repo: Path, args: list[str], lines: list[str]) -> list[str]:
    """Run ``python args`` in ``repo`` with ``lines`` on stdin, in a fresh data dir (no binding or conversation
    carried over) that starts with the models trained before (kept per checkout: training takes a while)."""
    models = Path(tempfile.gettempdir()) / "jxjy-same-replies" / hashlib.sha256(bytes(repo)).hexdigest()[:12]
    models.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        shutil.copytree(models, Path(data_dir) / "cache")
        output = run_in(repo, checkout_env(repo, data_dir), args, lines, timeout=1200)
        for model in (Path(data_dir) / "cache").glob("*.npz"):
            shutil.copy2(model, models)
    return output


def replies(repo: Path, items: list[dict[str, str]]) -> dict[str, list[str]]:
    """The output lines of ``repo`` for the three ways of asking."""
    ask = [*ASK, "--now", DEFAULT_NOW]

    def line(user: str, it: dict[str, str]) -> str:
        return json.dumps({"user": user, "text": it["text"], "now": it["now"]}, ensure_ascii=False) + "\n"

    own = _run(repo, ask, [line(f"u{n}", it) for n, it in enumerate(items)])
    talk = _run(repo, ask, [line(it["set"], it) for it in items])
    plain = [json.dumps({"text": it["text"], "now": it["now"]}, ensure_ascii=False) + "\n" for it in items]
    return {
        "own user": own,
        "one conversation per set": talk,
        "short form": _run(repo, ["-c", _SHORT], plain),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("--repo", type=Path, default=ROOT)
    args = parser.parse_args()
    items = messages()
    before, after = replies(args.before.resolve(), items), replies(args.repo.resolve(), items)
    differ = 0
    for way, lines in before.items():
        changed = [(n, a, b) for n, (a, b) in enumerate(zip(lines, after[way], strict=True)) if a != b]
        print(f"{way}: {len(lines)} replies, {len(changed)} differ")
        for n, a, b in changed[:10]:
            print(f"  {items[n]['set']} {items[n]['text']!r}\n    before {a}\n    after  {b}")
        differ += len(changed)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
