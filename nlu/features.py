"""Turn normalized text into sparse features: character n-grams and toneless pinyin (for near-homophones)."""

from __future__ import annotations

import operator
import unicodedata
from collections.abc import Mapping


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def toneless(reading: str) -> str:
    """Drop tone marks from a pinyin reading: ``què`` -> ``que``, ``lǜ`` -> ``lv``."""
    decomposed = unicodedata.normalize("NFD", reading.replace("ü", "v"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def pypinyin_table() -> dict[str, str]:
    """Map every CJK character pypinyin knows to its first toneless reading (model build time only)."""
    from pypinyin.pinyin_dict import pinyin_dict

    table = {}
    for code, readings in pinyin_dict.items():
        ch = chr(code)
        if _is_cjk(ch):
            table[ch] = toneless(readings.split(",")[0])
    return table


class _Marked(dict[str, str]):
    """A character's pinyin syllable behind a mark ("~que"), a character without a reading standing for itself;
    each worked out the first time it is asked for (startup builds nothing)."""

    def __init__(self, mark: str, pinyin: Mapping[str, str]) -> None:
        super().__init__()
        self._mark = mark
        self._pinyin = pinyin

    def __missing__(self, ch: str) -> str:
        marked = self[ch] = self._mark + self._pinyin.get(ch, ch)
        return marked


class Featurizer:
    """Character 1–3-grams over the text and 1–2-grams over its pinyin syllables.

    Each n-gram is made by joining shorter ones in C (``map(operator.add, …)``), not sliced one by one: a
    message's features cost a few calls, whatever its length.
    """

    def __init__(self, pinyin: Mapping[str, str]) -> None:
        self._syllable = _Marked("~", pinyin).__getitem__  # "~que": a syllable feature
        self._next_syllable = _Marked("_", pinyin).__getitem__  # "_ren": joined to the one before it

    def __call__(self, text: str) -> list[str]:
        features: list[str] = []
        add = operator.add
        for chunk in text.split():
            padded = f"^{chunk}$"
            pairs = list(map(add, padded, padded[1:]))
            features += pairs
            features += map(add, pairs, padded[2:])
            features += chunk
            syllables = list(map(self._syllable, chunk))
            features += syllables
            features += map(add, syllables, map(self._next_syllable, chunk[1:]))
        return features
