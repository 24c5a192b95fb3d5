"""Slips of the pinyin input, read as the cue word they sound like: "帐号被所定" is 锁定, "没通国" is 通过.

A pair of neighbouring characters that neither the notice nor the questions the model learned from ever use,
and that sounds like a pair of a cue word sharing one of its characters, is that cue's pair. The cue scanner
then sees what the trainee meant to type. Only cue words are targets, so a slip can only turn into something
the second stage already reads, and only when the whole cue then stands in the message ("没通过", not a lone
"通过" inside some other word); an unknown pair with no such twin is left as it is. Function characters
(的, 那, 会, 再 …) are neither replaced nor put in: 那几天 stays, 回不来 does not become 会不来.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Callable, Iterable

_HAN_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
_MEMO_LIMIT = 150_000  # pairs remembered with the cue pairs they sound like (about 100 bytes each)


class _Remembered(dict[str, tuple[str, ...]]):
    """What ``find`` gives a pair, worked out the first time it is asked for, kept while there is room."""

    def __init__(self, find: Callable[[str], tuple[str, ...]]) -> None:
        super().__init__()
        self._find = find

    def __missing__(self, pair: str) -> tuple[str, ...]:
        found = self._find(pair)
        if len(self) < _MEMO_LIMIT:
            self[pair] = found
        return found


class SoundSlips:
    """Heal the slips in a folded message against ``cues`` (see the module's docstring)."""

    def __init__(
        self, cues: Iterable[str], vocabulary: str, sound: Callable[[str], str], keep: str = ""
    ) -> None:
        self._said = frozenset(map(operator.add, vocabulary, vocabulary[1:]))  # its neighbouring pairs
        self._sound = sound
        self._keep = frozenset(keep)
        by_sound: dict[tuple[str, str], set[str]] = {}
        self._cues: dict[str, set[str]] = {}  # a pair -> the cue words holding it
        for cue in cues:
            for a, b in itertools.pairwise(cue):
                if _HAN_PAIR.fullmatch(a + b) and not self._keep.intersection(a + b):
                    key = (sound(a), sound(b))
                    if all(key):
                        by_sound.setdefault(key, set()).add(a + b)
                        self._cues.setdefault(a + b, set()).add(cue)
        self._by_sound = {key: tuple(sorted(pairs)) for key, pairs in by_sound.items()}
        self._known = self._said | {p for pairs in self._by_sound.values() for p in pairs}
        # a pair -> the cue pairs it is a slip of (none for a known pair), remembered while there is room
        self._options = _Remembered(self._slip_of)

    def heal(self, text: str) -> str:
        """``text`` with each slip replaced by the cue pair it sounds like (one character differs)."""
        if not any(map(self._options.__getitem__, map(operator.add, text, text[1:]))):
            return text  # most messages: every pair is known, or no unknown pair sounds like a cue pair
        known = self._known
        unknown = [n for n, (a, b) in enumerate(itertools.pairwise(text)) if a + b not in known]
        chars = list(text)
        healed = False
        for n in unknown:
            pair = chars[n] + chars[n + 1]
            if pair in known:
                continue  # the slip before it was healed into a known pair
            # the character replaced must not break a pair on its other side: 复印件去 keeps its 件 (印件 is
            # known, 印间 is not), while 网止是 may become 网址是 (址是 is as known as 止是)
            before = chars[n - 1] if n > 0 else ""
            after = chars[n + 2] if n + 2 < len(chars) else ""
            options = [
                p
                for p in self._sounding(pair)
                if (p[0] == pair[0] and p[1] != pair[1] and self._fits(pair[1], p[1], after, right=True))
                or (p[1] == pair[1] and p[0] != pair[0] and self._fits(pair[0], p[0], before, right=False))
            ]
            # 登路 sounds like 登录 and 登陆: the first that makes a whole cue stand is read
            chosen = next((p for p in options if self._completes(chars, n, p)), None)
            if chosen is not None:
                chars[n], chars[n + 1] = chosen[0], chosen[1]
                healed = True
        return "".join(chars) if healed else text

    def _sounding(self, pair: str) -> tuple[str, ...]:
        """The cue pairs that an unknown ``pair`` sounds like (remembered)."""
        return self._options[pair]

    def _slip_of(self, pair: str) -> tuple[str, ...]:
        """The cue pairs ``pair`` may be a slip of: none for a known pair or one with a function or
        non-Chinese character, else those that sound like it."""
        if pair in self._known or not _HAN_PAIR.fullmatch(pair) or self._keep.intersection(pair):
            return ()
        return self._by_sound.get((self._sound(pair[0]), self._sound(pair[1])), ())

    def _fits(self, old: str, new: str, neighbour: str, *, right: bool) -> bool:
        """Whether ``new`` may stand for ``old`` beside ``neighbour``: unless ``old`` makes a known pair with
        it, it may; if it does, only when ``new`` does too."""
        if not neighbour:
            return True
        old_pair, new_pair = (
            (old + neighbour, new + neighbour) if right else (neighbour + old, neighbour + new)
        )
        return old_pair not in self._known or new_pair in self._known

    def _completes(self, chars: list[str], n: int, pair: str) -> bool:
        """Whether putting ``pair`` at ``n`` makes a whole cue word stand in the message."""
        text = "".join(chars[:n]) + pair + "".join(chars[n + 2 :])
        for cue in self._cues[pair]:
            at = text.find(cue, max(0, n - len(cue) + 2))
            while 0 <= at <= n:
                if at + len(cue) >= n + 2:
                    return True
                at = text.find(cue, at + 1)
        return False
