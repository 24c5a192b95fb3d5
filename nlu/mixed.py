"""English: a message in English restated in Chinese or read for its topic, and English words in a Chinese
message put into Chinese ("registration form 是附件几" is 登记表是附件几, "Is 资格确认
only on working days?" is 资格确认只工作日吗?): the words are the aspects file's ``shapes.mixed``, in order."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]{2,}")
_LETTERS = re.compile(r"[a-z]")
_PUNCTUATION = re.compile(r"[\W_]+")
# "Do I need to …? 谢谢": Chinese thanks after an English question
_THANKS_AFTER = re.compile(r"[\s，,。.!！]*(?:谢谢|多谢|感谢|谢谢你|谢谢您|谢了)[\s!！。.～~]*$")


class MixedWords:
    """Put the English words of a Chinese message into Chinese; a message with no Chinese is left as it is."""

    def __init__(self, words: Iterable[Sequence[str]], yes_no: str | None = None) -> None:
        # an English word with the spaces around it, never part of a longer word
        self._words = [
            (re.compile(rf"\s*(?<![a-z])(?:{pattern})(?![a-z])\s*", re.IGNORECASE), str(chinese))
            for pattern, chinese in words
        ]
        # an English question word at the start ("Is …?", "Do I need …?") asks yes or no (吗)
        self._yes_no = re.compile(yes_no or r"(?!)", re.IGNORECASE)

    def __call__(self, text: str) -> str:
        if not self._words or not _HAN.search(text) or not _WORD.search(text):
            return text
        asks = self._yes_no.match(text) is not None
        for pattern, chinese in self._words:
            text = pattern.sub(chinese, text).strip()
        return re.sub(r"[?？]|$", "吗？", text, count=1) if asks else text


def without_thanks(text: str) -> str:
    """An English message without the Chinese thanks after it ("Do I need to …? 谢谢")."""
    return _THANKS_AFTER.sub("", text) if _WORD.search(text) else text


class EnglishQuestions:
    """A message in English: its question restated in Chinese ({0}, {1}: the numbers its cue captured), answered
    like any Chinese one, or the topic it names; None for a message that is not English."""

    def __init__(self, topics: Mapping[str, str], restated: Iterable[Mapping[str, str]]) -> None:
        self._topics = [(topic, re.compile(cue)) for topic, cue in topics.items()]
        self._restated = [(re.compile(str(r["cue"])), str(r["ask"])) for r in restated]

    def read(self, text: str) -> tuple[str, str | None, str] | None:
        """(the text, the topic named, the question in Chinese), or None."""
        text = without_thanks(text)
        if _HAN.search(text):
            return None  # any Chinese character: not an English message
        lowered = unicodedata.normalize("NFKC", text).lower()
        letters = len(_LETTERS.findall(lowered))
        if letters < 2 or _HAN.search(lowered) or letters < 0.6 * len(lowered.replace(" ", "")):
            return None
        for cue, ask in self._restated:
            found = cue.search(lowered)
            if found:
                return text, None, ask.format(*found.groups())
        for topic, cue in self._topics:
            if cue.search(lowered):
                return text, topic, ""
        if re.fullmatch(r"[a-z]{1,5}", _PUNCTUATION.sub("", lowered)):
            return None  # short Latin words the classifier knows: td, nihao, wx
        return text, None, ""
