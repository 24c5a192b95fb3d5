"""English words in a Chinese message put into Chinese ("registration form 是附件几" is 登记表是附件几, "Is 资格确认
only on working days?" is 资格确认只工作日吗?): the words are the aspects file's ``shapes.mixed``, in order."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]{2,}")
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
