"""`jxjy ask --jsonl`: one JSON line in, one JSON line out, in order; bad lines get an error and the run goes on.

A line may carry its own moment (``"now"``, ISO-8601) when the command was given ``--now``: the fixed clock is
set to it before the line is answered, so one run can ask each message at its own time.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import IO

from bot.kernel.clock import Clock, FixedClock
from bot.kernel.messages import Inbound, Responder

# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def answer_line(brain: Responder, line: str, clock: Clock | None = None) -> dict[str, object]:
    """Answer one input line, or describe why it cannot be answered."""
    if not line.strip():
        return {"error": "empty line"}
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": f"not valid JSON: {exc.msg} (column {exc.colno})"}
    if not isinstance(item, dict):
        return {"error": 'expected a JSON object {"user": str, "text": str}'}
    user, text = item.get("user"), item.get("text")
    if not isinstance(user, str) or not isinstance(text, str):
        return {"error": '"user" and "text" must both be strings'}
    if "now" in item:
        moved = _move(clock, item["now"])
        if moved:
            return {"error": moved}
    reply = brain.handle(Inbound("jsonl", user, text))
    return {
        "user": user,
        "text": text,
        "intent": reply.intent,
        "confidence": reply.confidence,
        "answer": reply.text,
    }


def _move(clock: Clock | None, now: object) -> str | None:
    """Set the fixed clock to a line's ``now``; the reason it cannot be, or None."""
    if not isinstance(clock, FixedClock):
        return '"now" in a line needs the command\'s --now (a fixed clock)'
    try:
        at = dt.datetime.fromisoformat(now) if isinstance(now, str) else None
    except ValueError:
        at = None
    if at is None:
        return f'"now" {now!r} is not an ISO-8601 time, e.g. 2023-11-24T10:00:00+08:00'
    clock.set(at)
    return None


def answer_stream(brain: Responder, lines: IO[str], out: IO[str], clock: Clock | None = None) -> int:
    """Write one result line per line of ``lines`` into ``out``; return how many lines were read."""
    count = 0
    for line in lines:
        out.write(_ENCODE(answer_line(brain, line, clock)) + "\n")
        count += 1
    out.flush()
    return count
