"""`jxjy nlu evaluate --report`: accuracy with 95 % intervals, per slice, the top confusions, and the figure
on messages the model never saw (held-out messages that are also training examples are counted apart)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.kernel.yamlfile import load_yaml
from nlu.aspects import AspectReader
from nlu.evaluate import Report, Result, correct
from nlu.interpreter import FALLBACK
from nlu.leakage import TrainingIndex, normalise
from nlu.normalize import Normalizer
from nlu.scoring import per_group, rate, top_confusions

DEFAULT_SLICES_FILE = Path(__file__).parent / "data" / "slices.yml"
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[a-z]")
NOT_IN_NOTICE = "ask_not_in_notice"
SEEN = "seen in training"


class SliceGuesser:
    """Guess the slices of a message: typos, traditional, dialect, one or two words, yes/no, ..."""

    def __init__(
        self,
        reader: AspectReader,
        normalizer: Normalizer,
        traditional: Mapping[int, str],
        pinyin: Mapping[str, str],
        training: Iterable[str],
        path: Path = DEFAULT_SLICES_FILE,
    ) -> None:
        raw = load_yaml(path.read_text(encoding="utf-8"))
        self._dialect = re.compile("|".join(re.escape(w) for w in raw["dialect"]))
        self._short = int(raw["short_length"])
        self._long = int(raw["long_length"])
        self._reader = reader
        self._normalizer = normalizer
        self._traditional = traditional
        self._pinyin = pinyin
        texts = list(training)
        self._index = TrainingIndex(texts, traditional)
        self._pairs: set[str] = set()
        self._sounds: set[tuple[str, str]] = set()
        for text in texts:
            for a, b in itertools.pairwise(normalise(text, traditional)):
                if _HAN.match(a) and _HAN.match(b):
                    self._pairs.add(a + b)
                    self._sounds.add(self._sound(a + b))

    def _sound(self, pair: str) -> tuple[str, str]:
        return self._pinyin.get(pair[0], pair[0]), self._pinyin.get(pair[1], pair[1])

    def _typo(self, norm: str) -> bool:
        """A character pair never seen in training that sounds like one that was: 确人 for 确认."""
        for a, b in itertools.pairwise(norm):
            pair = a + b
            if (
                _HAN.match(a)
                and _HAN.match(b)
                and pair not in self._pairs
                and self._sound(pair) in self._sounds
            ):
                return True
        return False

    def tags(self, result: Result) -> tuple[str, ...]:
        """The file's own tags when it has them, otherwise the guessed ones; plus whether training saw it."""
        text = result.text
        tags = set(result.tags)
        if not tags:
            norm = normalise(text, self._traditional)
            folded = self._normalizer.canonical(self._normalizer.basic(text))
            guesses = {
                "typos": self._typo(norm),
                "traditional": text.translate(self._traditional) != text,
                "dialect": self._dialect.search(norm) is not None,
                "one or two words": 0 < len(norm) <= self._short,
                "yes/no": self._reader.polarity(folded) is not None,
                "not in notice": result.expected == NOT_IN_NOTICE,
                "relative dates": bool(self._reader.read(text, dt.date(2023, 11, 20)).dates),
                "long": len(norm) > self._long,
                "english": len(_LATIN.findall(norm)) > max(3, len(norm) // 2),
                "fallback": result.expected == FALLBACK,
            }
            tags = {name for name, hit in guesses.items() if hit}
        if self._index.match(text) is not None:
            tags.add(SEEN)
        return tuple(sorted(tags))


def slice_report(report: Report, guesser: SliceGuesser, *, limit: int = 10) -> str:
    """Overall and unseen-only accuracy with intervals, accuracy per slice, and the top confusion pairs."""
    tagged = [(r, guesser.tags(r)) for r in report.results]
    hits = sum(correct(r.expected, r.got) for r in report.results)
    unseen = [(r, t) for r, t in tagged if SEEN not in t]
    lines = [
        f"accuracy:                 {rate(hits, len(tagged))}",
        f"  unseen in training:     {rate(sum(correct(r.expected, r.got) for r, _ in unseen), len(unseen))}",
        f"  seen in training:       {len(tagged) - len(unseen)} messages (exact or 3-gram Jaccard ≥ 0.8)",
        "per slice:",
    ]
    groups = per_group((tags, correct(r.expected, r.got)) for r, tags in tagged)
    lines += [f"  {name:<22} {rate(hit, total)}" for name, (hit, total) in groups.items()]
    lines.append("top confusions (expected → understood):")
    lines += [
        f"  {e} → {g}  ×{n}"
        for e, g, n in top_confusions(
            ((r.expected, r.got) for r in report.results if not correct(r.expected, r.got)), limit
        )
    ]
    return "\n".join(lines)
