"""Put what the rules found into a copy of the base campaign, and list what a person must check."""

from __future__ import annotations

import copy
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from knowledge.campaign import Campaign
from knowledge.drafting.rules import STEP_PATTERNS, Found, Notice, hours_routes
from knowledge.drafting.text import CJK, HEADING, TABLE_SEPARATOR, Sentence

# Facts the campaign words in its own way (not the notice's words): the base wording stays, and the
# notice's sentence is shown for review when it differs from the one the base came from.
PARAPHRASED = frozenset({"confirmation.registration_form_note"})
# Free text: the base's reviewed wording stays when it says the same as the notice (see ``same_wording``).
PROSE = frozenset(
    {
        "audience",
        "hours.from",
        "qualification.certificate_update",
        "offline.kinds",
        "offline.proof_source",
        "offline.proof_steps",
        "fee.rule",
        "fee.when",
        "confirmation.days",
        "confirmation.until",
        "confirmation.materials",
        "binding.rule",
    }
)
# Facts of the file, not of the notice.
NOT_IN_NOTICE = frozenset({"campaign.timezone", "campaign.source"})
_NOISE = re.compile(r"[\W_]+")
_MEANINGFUL = re.compile(r"[0-9不无非未没免勿禁须需应]")


def same_wording(new: str, old: str) -> bool:
    """Tell whether ``old`` (reviewed wording) still says what ``new`` (the notice's words) says.

    True when they are equal but for punctuation and spacing, or when ``old`` holds every character of
    ``new`` in order and adds only words without digits or negation (an elaboration such as 的, 在…平台).
    """
    a = _NOISE.sub("", unicodedata.normalize("NFKC", new)).lower()
    b = _NOISE.sub("", unicodedata.normalize("NFKC", old)).lower()
    if a == b:
        return True
    added, i = [], 0
    for ch in b:
        if i < len(a) and ch == a[i]:
            i += 1
        else:
            added.append(ch)
    return i == len(a) and not _MEANINGFUL.search("".join(added))


@dataclass(frozen=True)
class Change:
    """A fact the new notice states differently from the base."""

    path: str
    old: Any
    new: Any
    sentence: str


@dataclass(frozen=True)
class Literal:
    """Wording that writes a fact's value instead of naming the fact (``100元`` for ``{fee.amount}元``)."""

    where: str
    text: str
    path: str
    stale: bool  # the fact changed in this draft: the wording is now wrong


@dataclass
class Draft:
    """The draft campaign document and everything the review report lists."""

    document: dict[str, Any]
    found: dict[str, Found]
    changed: list[Change] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    reworded: list[tuple[str, str]] = field(default_factory=list)
    literals: list[Literal] = field(default_factory=list)
    unused: list[Sentence] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def fact_paths(campaign: Campaign) -> list[str]:
    """Every leaf fact path of the model: ``campaign.title``, ``period.start``, ``posts``, ..."""
    paths = [f"campaign.{name}" for name in type(campaign.campaign).model_fields]
    for name, info in type(campaign.facts).model_fields.items():
        sub = getattr(campaign.facts, name)
        if isinstance(sub, BaseModel):
            paths += [f"{name}.{f.alias or f_name}" for f_name, f in type(sub).model_fields.items()]
        else:
            paths.append(info.alias or name)
    return paths


def _slot(document: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    head, _, rest = path.partition(".")
    if head == "campaign":
        return document["campaign"], rest
    node = document["facts"]
    if rest:
        return node[head], rest
    return node, head


def _yaml_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _same(path: str, new: Any, old: Any) -> bool:
    if path in PROSE and isinstance(new, str) and isinstance(old, str):
        return same_wording(new, old)
    if isinstance(new, int | float) and isinstance(old, int | float):
        return float(new) == float(old)
    return bool(_yaml_value(new) == _yaml_value(old))


def merge(base: Campaign, raw_base: Mapping[str, Any], found: dict[str, Found], notice_name: str) -> Draft:
    """Copy the base document, set every fact found, and collect changes and facts left to review."""
    document = copy.deepcopy(dict(raw_base))
    found = dict(found)
    year = found.pop("campaign.year", None)
    if year is not None:
        found["campaign.id"] = Found(re.sub(r"\d{4}", str(year.value), base.campaign.id), year.sentence)
    draft = Draft(document, found)
    for path in fact_paths(base):
        if path in NOT_IN_NOTICE:
            continue
        old = base.fact(path)
        hit = found.get(path)
        if hit is None:
            draft.missing.append(path)
        elif path in PARAPHRASED:
            if base.sources.get(path) != hit.sentence:
                draft.reworded.append((path, hit.sentence))
        elif not _same(path, hit.value, old):
            draft.changed.append(Change(path, old, hit.value, hit.sentence))
            slot, key = _slot(document, path)
            slot[key] = _yaml_value(hit.value)
    document["campaign"]["source"] = notice_name
    return draft


def check_routes(draft: Draft, notice_sentences: list[Sentence]) -> list[str]:
    """The attachment's ways to qualify must agree with the hours rule in the body; return their sentences."""
    routes = hours_routes(Notice(notice_sentences))
    for path, route in routes.items():
        stated = draft.found.get(path)
        if stated is not None and float(stated.value) != float(route.value):
            draft.conflicts.append(
                f"{path}：正文为{stated.value:g}，合格条件写的是{route.value:g}（{route.sentence}）"
            )
    for step in STEP_PATTERNS:
        if f"steps.{step}" not in draft.found:
            draft.conflicts.append(f"steps.{step}：通知里没找到这一步，答复和提醒是否还要提它？")
    return [route.sentence for route in routes.values()]


def _texts(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every wording of the document, by where it is (``answers.ask_fee.short``)."""

    def walk(prefix: str, node: Any) -> Iterator[tuple[str, str]]:
        if isinstance(node, str):
            yield prefix, node
        elif isinstance(node, Mapping):
            for key, value in node.items():
                yield from walk(f"{prefix}.{key}", value)
        elif isinstance(node, list):  # details: named by their id
            for n, item in enumerate(node):
                name = item.get("id", n) if isinstance(item, Mapping) else n
                yield from walk(f"{prefix}.{name}", item)

    sections = (
        "answers",
        "personal",
        "steps",
        "reminders",
        "dynamic",
        "labels",
        "rules",
        "composed",
        "details",
    )
    for section in sections:
        yield from walk(section, document.get(section, {}))


def _needles(base: Campaign) -> list[tuple[str, re.Pattern[str]]]:
    """Patterns of the base's fact values as wording would write them out."""
    facts = base.facts
    needles: list[tuple[str, str]] = [
        ("fee.amount", rf"(?<!\d){facts.fee.amount}元"),
        (
            "confirmation.first_day",
            rf"(?<!\d){facts.confirmation.first_day}日?[-—–~～至到]{facts.confirmation.last_day}日",
        ),
        ("posts", rf"(?<!\d){len(facts.posts)}个(?:岗位)?"),
    ]
    for name in ("yearly", "online_min", "offline_proof_min"):
        needles.append((f"hours.{name}", rf"(?<![\d.]){getattr(facts.hours, name):g}学时"))
    for name in ("start", "end"):
        day: dt.date = getattr(facts.period, name)
        needles.append((f"period.{name}", rf"(?<!\d){day.month}月{day.day}日"))
        needles.append((f"period.{name}", rf"(?<!\d){day.year}(?:年|\b)"))
    for path in ("audience", "hours.from"):
        for run in re.findall(r"\d{4}年", str(base.fact(path))):
            needles.append((path, run))
    for path in fact_paths(base):
        value = base.fact(path)
        if isinstance(value, str) and len(value) >= 3 and path not in NOT_IN_NOTICE:
            needles.append((path, re.escape(value)))
    return [(path, re.compile(pattern)) for path, pattern in needles]


def find_literals(draft: Draft, base: Campaign) -> None:
    """Flag wording that states a fact's value literally; stale when that fact changed in this draft."""
    changed = {c.path for c in draft.changed}
    needles = _needles(base)
    for where, text in _texts(draft.document):
        plain = re.sub(r"\{[^{}]*\}", "\x00", text)
        for path, needle in needles:
            match = needle.search(plain)
            if match and not any((lit.where, lit.text) == (where, match.group(0)) for lit in draft.literals):
                days = {"confirmation.first_day", "confirmation.last_day"}
                stale = path in changed or (path in days and bool(days & changed))
                draft.literals.append(Literal(where, match.group(0), path, stale))


def _bare(text: str) -> str:
    return HEADING.sub("", text).strip()


def find_unused(draft: Draft, notice_sentences: list[Sentence], also_used: Iterable[str] = ()) -> None:
    """Sentences of the notice that no fact came from: perhaps a new rule the campaign does not hold.

    Left out: headings, table rows, titles and signatures (no punctuation), salutations (ending in ：),
    the list of attachments, and repeats of a sentence already used or listed.
    """
    seen = {_bare(hit.sentence) for hit in draft.found.values()} | {_bare(t) for t in also_used}
    for sentence in notice_sentences:
        text = sentence.text
        if text == sentence.heading or TABLE_SEPARATOR in text or text.endswith(("：", ":")):
            continue
        if len(re.findall(f"[{CJK}]", text)) < 8 or re.match(r"^附件\d+[：:]", text):
            continue
        if not re.search(r"[，。、；！？]", text) or _bare(text) in seen:
            continue
        seen.add(_bare(text))
        draft.unused.append(sentence)
