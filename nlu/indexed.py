"""A message's features counted as the model's vocabulary indices, without spelling out every feature.

``Featurizer`` (what training reads) spells each feature as a string: character 1–3-grams and pinyin 1–2-grams.
Serving needs only how often each vocabulary index occurs, in the order the features first occur (the
classifier's sums then come out bit for bit the same). The features of one character (itself, its syllable)
and the syllable pair of two neighbouring characters are the same in every message: each is looked up in the
vocabulary once and remembered, so a message costs a look-up in the (large) vocabulary only for its character
pairs and triples.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from collections.abc import Callable, Iterator, Mapping

# Character pairs remembered with the index of their syllable pair (about 100 bytes each, so at most ~10 MB):
# new pairs past this many are looked up each time.
PAIR_MEMO_LIMIT = 100_000


class _Remembered(dict[str, int | None]):
    """The vocabulary index ``find`` gives a key, worked out the first time it is asked for."""

    def __init__(self, find: Callable[[str], int | None], limit: int | None = None) -> None:
        super().__init__()
        self._find = find
        self._limit = limit

    def __missing__(self, key: str) -> int | None:
        found = self._find(key)
        if self._limit is None or len(self) < self._limit:
            self[key] = found
        return found


class IndexedFeatures:
    """Count the vocabulary indices of a canonical text's features (unknown features count under None).

    ``Counter(map(vocabulary.get, Featurizer(pinyin)(text)))``, the same keys in the same order.
    """

    def __init__(self, vocabulary: Mapping[str, int], pinyin: Mapping[str, str]) -> None:
        def sound(ch: str) -> str:
            return pinyin.get(ch, ch)

        def pair_sound(pair: str) -> int | None:
            return vocabulary.get(f"~{sound(pair[0])}_{sound(pair[1])}")

        self._index = vocabulary.get
        self._char = _Remembered(vocabulary.get).__getitem__
        self._syllable = _Remembered(lambda ch: vocabulary.get("~" + sound(ch))).__getitem__
        self._pair_sound = _Remembered(pair_sound, PAIR_MEMO_LIMIT).__getitem__

    def __call__(self, text: str) -> Counter[int | None]:
        return Counter(itertools.chain.from_iterable(map(self._chunk, text.split())))

    def _chunk(self, chunk: str) -> Iterator[int | None]:
        """The indices of one whitespace-free chunk's features, in ``Featurizer``'s order."""
        padded = f"^{chunk}$"
        pairs = list(map(operator.add, padded, padded[1:]))
        return itertools.chain(
            map(self._index, pairs),
            map(self._index, map(operator.add, pairs, padded[2:])),
            map(self._char, chunk),
            map(self._syllable, chunk),
            map(self._pair_sound, pairs[1:-1]),  # the pairs of the chunk's own characters
        )
