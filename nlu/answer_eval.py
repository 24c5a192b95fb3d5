"""Score replies, not intents: does the answer say the fact asked, start with yes/no, admit what the notice omits?

Each line of an answer set is a JSON object::

    {"id", "kind": fact|yesno|silent|date|rule|form, "text", "now" (optional ISO),
     "expect_start": [alternatives the reply must start with] (optional),
     "must_include": [[alt, alt], [alt]] (each group: one alternative must appear),
     "must_not_include": [...] (optional),
     "silent": bool (optional: the reply must, or must not, say that the notice does not cover it)}
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.kernel.messages import Inbound, Responder
from nlu.scoring import per_group, rate

DEFAULT_NOW = "2023-11-20T10:00:00+08:00"
# How a reply says the notice does not cover a question ("这个问题通知里没有说明", "通知未说明").
SILENCE = re.compile(
    r"通知(?:里|中|上|正文)?(?:并)?(?:没有|没|未)(?:说明|提到|写|规定|讲|涉及|明确|说)|通知里找不到"
)


class AnswerSetError(Exception):
    """A line of an answer set that cannot be read; the message names the line and the problem."""


@dataclass(frozen=True)
class AnswerCase:
    """One message and what its reply must (and must not) say."""

    id: str
    kind: str
    text: str
    now: dt.datetime
    expect_start: tuple[str, ...] = ()
    must_include: tuple[tuple[str, ...], ...] = ()
    must_not_include: tuple[str, ...] = ()
    silent: bool | None = None


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    return tuple(value)


def parse_case(line: str, default_now: dt.datetime) -> AnswerCase:
    """Read one JSON line of an answer set."""
    item = json.loads(line)
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise ValueError('expected an object with a "text" string')
    groups = item.get("must_include") or []
    if not isinstance(groups, list):
        raise ValueError("must_include must be a list of lists")
    silent = item.get("silent")
    now = dt.datetime.fromisoformat(item["now"]) if item.get("now") else default_now
    if now.tzinfo is None:
        raise ValueError(f"now {item['now']!r} has no time zone")
    return AnswerCase(
        id=str(item.get("id", "")),
        kind=str(item.get("kind", "fact")),
        text=item["text"],
        now=now,
        expect_start=_strings(item.get("expect_start"), "expect_start"),
        must_include=tuple(_strings(g, "must_include") for g in groups),
        must_not_include=_strings(item.get("must_not_include"), "must_not_include"),
        silent=bool(silent) if silent is not None else None,
    )


def read_cases(lines: Iterable[str], default_now: str = DEFAULT_NOW) -> list[AnswerCase]:
    """Read an answer set; a bad line raises AnswerSetError naming its number."""
    now = dt.datetime.fromisoformat(default_now)
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            cases.append(parse_case(line, now))
        except (ValueError, KeyError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
            raise AnswerSetError(f"line {number}: {exc}") from exc
    return cases


def problems(case: AnswerCase, reply: str, hotlines: Sequence[str]) -> list[str]:
    """Say what is wrong with ``reply`` for ``case`` (empty when it passes)."""
    text = reply.strip()
    found = []
    if case.expect_start and not text.startswith(case.expect_start):
        found.append(f"does not start with {'/'.join(case.expect_start)}")
    for group in case.must_include:
        if group and not any(alt in text for alt in group):
            found.append(f"lacks {'/'.join(group)}")
    found += [f"says {bad}" for bad in case.must_not_include if bad in text]
    says_silent = SILENCE.search(text) is not None
    if case.silent is True:
        if not says_silent:
            found.append("does not say the notice is silent")
        if not any(h in text for h in hotlines):
            found.append("gives no hotline")
    elif case.silent is False and says_silent:
        found.append("claims the notice is silent")
    return found


class SetClock:
    """A clock the evaluator moves to each case's moment."""

    def __init__(self, at: dt.datetime, tz: dt.tzinfo | None = None) -> None:
        self.at = at
        self._tz = tz or at.tzinfo or dt.UTC

    @property
    def tz(self) -> dt.tzinfo:
        return self._tz

    def now(self) -> dt.datetime:
        return self.at.astimezone(self._tz)


@dataclass
class AnswerReport:
    """Pass/fail per case, overall and per kind, with 95 % intervals."""

    results: list[tuple[AnswerCase, str, list[str]]] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(not found for _, _, found in self.results)

    def summary(self, *, errors: bool = False) -> str:
        lines = [f"answers passing:  {rate(self.passed, len(self.results))}"]
        kinds = per_group(((c.kind,), not found) for c, _, found in self.results)
        lines += [f"  {kind:<8} {rate(hit, total)}" for kind, (hit, total) in kinds.items()]
        if errors:
            lines.append("failures:")
            for case, reply, found in self.results:
                if found:
                    flat = reply.replace("\n", " / ")
                    lines.append(
                        f"  [{case.id} {case.kind}] {case.text}\n      {'; '.join(found)}\n      → {flat}"
                    )
        return "\n".join(lines)


def evaluate_answers(
    brain_factory: Callable[[SetClock], Responder],
    cases: Iterable[AnswerCase],
    hotlines: Sequence[str],
    tz: dt.tzinfo | None = None,
) -> AnswerReport:
    """Ask each case's message in a fresh conversation at the case's moment and score the reply."""
    cases = list(cases)
    clock = SetClock(cases[0].now if cases else dt.datetime.fromisoformat(DEFAULT_NOW), tz)
    brain = brain_factory(clock)
    report = AnswerReport()
    for n, case in enumerate(cases):
        clock.at = case.now
        reply = brain.handle(Inbound("cli", f"answer-eval-{n}", case.text)).text
        report.results.append((case, reply, problems(case, reply, hotlines)))
    return report
