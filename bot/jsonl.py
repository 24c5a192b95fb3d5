"""`jxjy ask --jsonl`: one JSON line in, one JSON line out, in order; bad lines get an error and the run goes on."""

from __future__ import annotations

import json
from typing import IO

from bot.kernel.messages import Inbound, Responder


def answer_line(brain: Responder, line: str) -> dict[str, object]:
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
    reply = brain.handle(Inbound("jsonl", user, text))
    return {
        "user": user,
        "text": text,
        "intent": reply.intent,
        "confidence": reply.confidence,
        "answer": reply.text,
    }


def answer_stream(brain: Responder, lines: IO[str], out: IO[str]) -> int:
    """Write one result line per line of ``lines`` into ``out``; return how many lines were read."""
    count = 0
    for line in lines:
        out.write(json.dumps(answer_line(brain, line), ensure_ascii=False) + "\n")
        count += 1
    out.flush()
    return count
