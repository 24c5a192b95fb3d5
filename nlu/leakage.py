"""Find held-out messages that also occur in the training data, exactly or as near-duplicates.

A held-out figure means something only for messages the model never saw: a message counts as seen when its
normalised form (width, case, traditional → simplified, no punctuation or spaces) equals a training example's,
or when the Jaccard similarity of their character 3-grams is at least 0.8.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

NEAR_DUPLICATE = 0.8
_NOISE = re.compile(r"[\W_]+")


def normalise(text: str, traditional: Mapping[int, str] | None = None) -> str:
    """Width, case, script (when a table is given), and no punctuation or spaces."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if traditional:
        folded = folded.translate(traditional)
    return _NOISE.sub("", folded)


def trigrams(text: str) -> frozenset[str]:
    """The character 3-grams of a normalised text (the whole text when it is shorter)."""
    if len(text) < 3:
        return frozenset({text}) if text else frozenset()
    return frozenset(text[i : i + 3] for i in range(len(text) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@dataclass(frozen=True)
class Overlap:
    """A held-out message, the training example it duplicates and how similar they are (1.0: identical)."""

    heldout: str
    training: str
    similarity: float


class TrainingIndex:
    """The training examples, indexed by normalised form and by 3-gram for near-duplicate look-ups."""

    def __init__(self, examples: Iterable[str], traditional: Mapping[int, str] | None = None) -> None:
        self._traditional = traditional
        self._texts: list[str] = []
        self._grams: list[frozenset[str]] = []
        self._exact: dict[str, int] = {}
        self._postings: dict[str, list[int]] = {}
        for text in examples:
            norm = normalise(text, traditional)
            n = len(self._texts)
            self._texts.append(text)
            self._grams.append(trigrams(norm))
            self._exact.setdefault(norm, n)
            for gram in self._grams[n]:
                self._postings.setdefault(gram, []).append(n)

    def match(self, message: str, threshold: float = NEAR_DUPLICATE) -> Overlap | None:
        """The training example ``message`` duplicates, or None when it is new."""
        norm = normalise(message, self._traditional)
        if norm in self._exact:
            return Overlap(message, self._texts[self._exact[norm]], 1.0)
        grams = trigrams(norm)
        best: tuple[float, int] | None = None
        for n in {n for gram in grams for n in self._postings.get(gram, ())}:
            similarity = jaccard(grams, self._grams[n])
            if similarity >= threshold and (best is None or similarity > best[0]):
                best = (similarity, n)
        return Overlap(message, self._texts[best[1]], best[0]) if best else None


def heldout_messages(path: Path) -> list[str]:
    """Every message of a labelled JSONL set, conversations' turns included."""
    messages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            messages += [turn["text"] for turn in item.get("conversation", [item])]
    return messages


def overlaps(index: TrainingIndex, messages: Iterable[str]) -> list[Overlap]:
    """The held-out messages found in the training data."""
    return [found for found in map(index.match, messages) if found is not None]
