"""Lists of words (cues, stop words, parties) as regular expressions.

The longest word comes first, so that a word is read whole where a shorter one starts it too (确认之前, not 确认
then 之前 half read; 城乡建设事务中心, not 事务中心 alone). Empty words are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any


def alternation(words: Iterable[object]) -> str:
    """``a|b|c`` of the escaped words, the longest first."""
    texts = {str(w) for w in words if str(w)}
    return "|".join(re.escape(w) for w in sorted(texts, key=len, reverse=True))


def any_of(words: Iterable[object]) -> re.Pattern[str] | None:
    """A pattern matching any of the words (the longest where several match), or None for no words."""
    pattern = alternation(words)
    return re.compile(pattern) if pattern else None


def asks_what(raw: Mapping[str, Any]) -> re.Pattern[str] | None:
    """What asks what, where or how many in the aspects file's words: a ``question_words`` word anywhere, or a
    ``value_words`` noun at the end ("确认时间？", "培训费？": the value asked, not whether it is so)."""
    words, values = alternation(raw.get("question_words", ())), alternation(raw.get("value_words", ()))
    pattern = "|".join(p for p in (words, f"(?:{values})$" if values else "") if p)
    return re.compile(pattern) if pattern else None
