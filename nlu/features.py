"""Turn normalized text into sparse features: character n-grams and toneless pinyin (for near-homophones)."""

from __future__ import annotations

import itertools
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


class Featurizer:
    """Character 1–3-grams over the text and 1–2-grams over its pinyin syllables."""

    def __init__(self, pinyin: Mapping[str, str]) -> None:
        self._pinyin = dict(pinyin)

    def __call__(self, text: str) -> list[str]:
        features: list[str] = []
        for chunk in text.split():
            padded = f"^{chunk}$"
            n = len(padded)
            features.extend(padded[i : i + 2] for i in range(n - 1))
            features.extend(padded[i : i + 3] for i in range(n - 2))
            features.extend(chunk)
            syllables = [self._pinyin.get(ch, ch) for ch in chunk]
            features.extend("~" + s for s in syllables)
            features.extend(f"~{a}_{b}" for a, b in itertools.pairwise(syllables))
        return features
