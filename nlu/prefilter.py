"""Which of many regular expressions may match a text, told from the characters each one cannot match without.

The second stage tries dozens of expressions on every message (aspects, yes/no forms) and most match none.
Each expression is read once (Python's own regular-expression parser) for what any match of it must contain:
one of the characters of each literal or small class it cannot skip ("(?:不|没有?)…(?:带|交)" needs one of 不没
and one of 带交). A text lacking any of them is not searched at all; one pass over its characters finds the
expressions worth searching. The test is necessary, never sufficient: a candidate is still searched.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_SHORT_TEXT = 32  # characters: up to this long, a text is read as it is, not as a set
_MAX_CLASS = 64  # a class of more characters ([\u4e00-\u9fff], [^…]) tells nothing worth a bit


def _class_chars(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """The characters of a character class, or None when it is negated, a category or too large."""
    chars: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            chars.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < _MAX_CLASS:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:
            return None
    return frozenset(chars) if len(chars) <= _MAX_CLASS else None


def _needed(pattern: Iterable[tuple[Any, Any]]) -> list[frozenset[str]]:
    """Sets of characters a match of ``pattern`` (a parsed sequence) contains one of each."""
    needs: list[frozenset[str]] = []
    for op, av in pattern:
        if op is sre.LITERAL:
            needs.append(frozenset(chr(av)))
        elif op is sre.IN:
            chars = _class_chars(av)
            if chars is not None:
                needs.append(chars)
        elif op is sre.SUBPATTERN:
            _, add_flags, _, inner = av
            if not add_flags & sre.SRE_FLAG_IGNORECASE:
                needs += _needed(inner)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            needs += _needed(av[2])
        elif op is sre.BRANCH:
            # one of the branches matches: a match holds a character of the union of one set of each
            branches = [_needed(branch) for branch in av[1]]
            if all(branches):
                needs.append(frozenset().union(*(min(b, key=len) for b in branches)))
        # anything else (assertions, anchors, any character, categories, references) needs nothing
    return needs


def needed_characters(expression: str) -> list[frozenset[str]]:
    """What a match of ``expression`` contains: a character of each set (none for a case-blind one)."""
    parsed = _parser.parse(expression)
    if parsed.state.flags & sre.SRE_FLAG_IGNORECASE:
        return []
    return _needed(parsed)


class CharacterFilter:
    """Tell which of ``expressions`` may match a text; ``hints`` add a set of characters each needs.

    Everything a character tells is one integer: the sets it is in (low bits) and the expressions indexed by
    it (high bits), so a text costs one dictionary look-up per distinct character and one OR in C.
    """

    def __init__(self, expressions: Sequence[str], hints: Sequence[frozenset[str] | None] = ()) -> None:
        bits: dict[frozenset[str], int] = {}
        self._needs: list[int] = []  # per expression, a bit for each set it needs a character of
        indexed: dict[str, int] = {}  # a character -> the expressions indexed by it, one bit each
        always = 0  # expressions that need no particular character
        for n, (expression, hint) in enumerate(itertools.zip_longest(expressions, hints)):
            sets = needed_characters(expression) + ([hint] if hint else [])
            self._needs.append(sum(1 << bits.setdefault(chars, len(bits)) for chars in set(sets)))
            # indexed by the characters of its smallest set: few texts have one of them
            for ch in min(sets, key=len) if sets else ():
                indexed[ch] = indexed.get(ch, 0) | 1 << n
            if not sets:
                always |= 1 << n
        self._shift = len(bits)
        self._present = (1 << self._shift) - 1
        self._always = always << self._shift
        self._masks: dict[str, int] = {}  # a character -> its expressions (high bits) and its sets (low bits)
        for chars, bit in bits.items():
            for ch in chars:
                self._masks[ch] = self._masks.get(ch, 0) | 1 << bit
        for ch, expressions_bits in indexed.items():
            self._masks[ch] = self._masks.get(ch, 0) | expressions_bits << self._shift

    def candidates(self, text: str) -> list[int]:
        """The numbers of the expressions that may match ``text``, in order."""
        chars = text if len(text) <= _SHORT_TEXT else set(text)  # a set costs more than a few repeated ORs
        told = functools.reduce(operator.or_, map(self._masks.get, chars, itertools.repeat(0)), self._always)
        found = told >> self._shift
        present = told & self._present
        needs = self._needs
        out = []
        while found:
            lowest = found & -found
            n = lowest.bit_length() - 1
            if needs[n] & present == needs[n]:
                out.append(n)
            found ^= lowest
        return out


class Deferred:
    """A regular expression compiled when it is first searched, not when it is read.

    Behind a ``CharacterFilter`` most expressions are searched rarely, and compiling hundreds of them was a
    third of `jxjy ask`'s start. The filter parses each expression when it is built, so a bad one still fails
    at load. After the first use its methods are the compiled expression's own (no look-up through here).
    """

    search: Callable[[str], re.Match[str] | None]
    match: Callable[[str], re.Match[str] | None]
    fullmatch: Callable[[str], re.Match[str] | None]
    finditer: Callable[[str], Iterator[re.Match[str]]]
    findall: Callable[[str], list[Any]]
    split: Callable[[str], list[str]]
    sub: Callable[..., str]

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __getattr__(self, name: str) -> Any:  # only until the first search: then the methods are set
        compiled = re.compile(self.pattern)
        for method in ("search", "match", "fullmatch", "finditer", "findall", "split", "sub"):
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


def branches(expression: str) -> list[str]:
    """The top-level alternatives of ``expression`` ("a|b(?:c|d)" → ["a", "b(?:c|d)"]), or the whole of it when
    it has none or capturing groups (an alternative alone would number them differently).

    Searched one by one behind a ``CharacterFilter``, alternatives cost less than their union: a search for an
    alternation that any alternative starting with an assertion or ``.`` joins is tried at every position.
    """
    parsed = _parser.parse(expression)
    if parsed.state.groups > 1 or len(parsed) != 1 or parsed[0][0] is not sre.BRANCH:
        return [expression]
    parts, start, depth, n, in_class = [], 0, 0, 0, False
    while n < len(expression):
        ch = expression[n]
        if ch == "\\":
            n += 1  # the escaped character is no syntax
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            n += expression.startswith("^", n + 1)
            n += expression.startswith("]", n + 1)  # "[]…]" and "[^]…]" hold a literal ]
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "|" and depth == 0:
            parts.append(expression[start:n])
            start = n + 1
        n += 1
    parts.append(expression[start:])
    return parts if len(parts) == len(parsed[0][1][1]) else [expression]
