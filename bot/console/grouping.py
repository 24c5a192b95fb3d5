"""Group similar unanswered questions: character 3-grams, Jaccard similarity, greedy single pass."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

SIMILAR = 0.4
_NOISE = re.compile(r"[\s\W_]+")


def fold(text: str) -> str:
    """Width-folded, lower-case, without blanks or punctuation: what similarity is measured on."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def trigrams(text: str) -> frozenset[str]:
    """Character 3-grams of the folded text with its ends marked, so short questions still have some."""
    padded = f"^{fold(text)}$"
    if len(padded) <= 3:
        return frozenset({padded})
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@dataclass
class Group:
    """Similar questions: the first seen stands for the group; ``texts`` are the distinct wordings."""

    grams: frozenset[str]
    texts: list[str] = field(default_factory=list)
    count: int = 0
    kinds: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return self.texts[0]


def group_questions(messages: Iterable[tuple[str, str]], threshold: float = SIMILAR) -> list[Group]:
    """Group ``(text, kind)`` pairs, most asked first; each joins the most similar group above ``threshold``."""
    groups: list[Group] = []
    by_fold: dict[str, Group] = {}
    for text, kind in messages:
        folded = fold(text)
        if not folded:
            continue
        group = by_fold.get(folded)
        if group is None:
            grams = trigrams(text)
            best, score = None, threshold
            for candidate in groups:
                similarity = jaccard(grams, candidate.grams)
                if similarity >= score:
                    best, score = candidate, similarity
            group = best or Group(grams)
            if best is None:
                groups.append(group)
            group.texts.append(text.strip())
            by_fold[folded] = group
        group.count += 1
        group.kinds.add(kind)
    return sorted(groups, key=lambda g: -g.count)
