"""Measure intent accuracy on labelled JSON lines: ``{"text", "intent"}`` or ``{"conversation": [...]}``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.kernel.messages import Inbound, Responder
from nlu.interpreter import FALLBACK

NOT_IN_NOTICE = "ask_not_in_notice"


def correct(expected: str, got: str) -> bool:
    """The intent understood is right. Not understood and not covered both send the trainee to the hotline
    without inventing anything: an out-of-scope message answered "the notice does not cover this" is right."""
    return expected == got or (expected == FALLBACK and got == NOT_IN_NOTICE)


@dataclass(frozen=True)
class Result:
    """One labelled message: what it should be, what it was understood as, and its slices."""

    text: str
    expected: str
    got: str
    tags: tuple[str, ...] = ()


@dataclass
class Report:
    """Counts of hits and misses, split into in-domain intents and fallbacks."""

    results: list[Result] = field(default_factory=list)
    total: int = 0
    correct: int = 0
    intent_total: int = 0
    intent_correct: int = 0
    fallback_total: int = 0
    fallback_correct: int = 0
    false_fallbacks: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (text, expected, got)

    def add(self, text: str, expected: str, got: str, tags: tuple[str, ...] = ()) -> None:
        self.results.append(Result(text, expected, got, tags))
        self.total += 1
        hit = correct(expected, got)
        self.correct += hit
        if expected == FALLBACK:
            self.fallback_total += 1
            self.fallback_correct += hit
        else:
            self.intent_total += 1
            self.intent_correct += hit
            self.false_fallbacks += got == FALLBACK
        if not hit:
            self.misses.append((text, expected, got))

    def summary(self, *, errors: bool = False) -> str:
        def pct(a: int, b: int) -> str:
            return f"{100 * a / b:.1f}% ({a}/{b})" if b else "n/a"

        lines = [
            f"overall accuracy:   {pct(self.correct, self.total)}",
            f"intent accuracy:    {pct(self.intent_correct, self.intent_total)}",
            f"fallback accuracy:  {pct(self.fallback_correct, self.fallback_total)}",
            f"false fallbacks:    {self.false_fallbacks}",
        ]
        if errors:
            lines.append("misses:")
            lines += [f"  {exp:>26} -> {got:<26} {text}" for text, exp, got in self.misses]
            confusions = Counter((exp, got) for _, exp, got in self.misses).most_common(10)
            lines.append("most confused: " + ", ".join(f"{e}->{g} x{n}" for (e, g), n in confusions))
        return "\n".join(lines)


def conversations(lines: Iterable[str]) -> Iterable[list[tuple[str, str, tuple[str, ...]]]]:
    """Yield each labelled line as a conversation of (text, intent, tags) turns; tags are optional."""
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        turns = item.get("conversation", [item])
        yield [(t["text"], t["intent"], tuple(t.get("tags") or item.get("tags") or ())) for t in turns]


def evaluate(brain_factory: Callable[[], Responder], lines: Iterable[str]) -> Report:
    """Run every conversation through a fresh brain conversation and count hits."""
    brain = brain_factory()
    report = Report()
    for n, turns in enumerate(conversations(lines)):
        for text, expected, tags in turns:
            got = brain.handle(Inbound("eval", f"c{n}", text)).intent
            report.add(text, expected, got, tags)
    return report


def evaluate_files(brain_factory: Callable[[], Responder], files: Iterable[Path]) -> Report:
    """Evaluate the concatenation of labelled JSONL files."""
    lines: list[str] = []
    for path in files:
        lines += Path(path).read_text(encoding="utf-8").splitlines()
    return evaluate(brain_factory, lines)
