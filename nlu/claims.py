"""Is a "…是吧" question confirmed by the reply? "公众号是湖南建设人才吧" asks to confirm a fact: when the
reply composed for it states every part of the claim, the reply starts with 是的.

The check is literal and strict, so it never says 是的 to a claim the reply does not make: the claim must
name something specific (a number, a Latin word such as a web address, or three or more Chinese characters in
a row) that the reply contains, and every other content word of it (what is left after the stop words of
``data/aspects.yml``) must occur in the reply too. "确认是在周末吧" is not confirmed by a reply that names
the 26th-30th; "306室是吧" is not confirmed by one that says 305室; a negated claim ("不用带原件吧") never is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SPECIFIC = re.compile(r"\d+|[a-z][a-z.]+")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_MIN_SPECIFIC_HAN = 3


class ClaimChecker:
    """Compare the content of a folded question with a reply."""

    def __init__(self, stop_words: Iterable[str], asking: Iterable[str], negations: str) -> None:
        words = sorted({str(w) for w in stop_words if w}, key=len, reverse=True)
        self._stop = re.compile("|".join(map(re.escape, words))) if words else None
        asked = sorted({str(w) for w in asking if w}, key=len, reverse=True)
        self._asking = re.compile("|".join(map(re.escape, asked))) if asked else None
        self._negation = re.compile(f"[{re.escape(negations)}]") if negations else None

    def uncovered(self, folded_question: str, reply: str, function_chars: str) -> list[str]:
        """The content of a yes/no question that ``reply`` does not mention, as runs of characters.

        "培训费能报销吗" against the fee answer leaves "报销": the answer does not say, so a yes would be
        invented. Characters are compared one by one (lenient: typos and word order don't matter), after
        the asking words, stop words and ``function_chars`` (能, 要, 可以 …) are dropped.
        """
        if self._asking is not None:
            folded_question = self._asking.sub(" ", folded_question)
        content = _SPECIFIC.sub(lambda m: " " if m.group(0) in reply.lower() else m.group(0), folded_question)
        if self._stop is not None:
            content = self._stop.sub(" ", content)
        missing = "".join(
            ch if (ch.isalnum() and ch not in reply and ch not in function_chars) else " " for ch in content
        )
        return missing.split()

    def confirmed(self, folded_question: str, reply: str) -> bool:
        """True when the reply states every part of what the question asks to confirm."""
        if self._asking is not None:
            folded_question = self._asking.sub(" ", folded_question)
        if self._negation is not None and self._negation.search(folded_question):
            return False  # "不用带原件吧": a negated claim is not confirmed by a reply that names the thing
        reply = reply.lower()
        specific = [t for t in _SPECIFIC.findall(folded_question) if t in reply]
        if any(t not in reply for t in _SPECIFIC.findall(folded_question)):
            return False  # a number or address the reply does not give: not confirmed
        content = _SPECIFIC.sub(" ", folded_question)
        if self._stop is not None:
            content = self._stop.sub(" ", content)
        runs = _HAN_RUN.findall(content)
        for run in runs:
            if run in reply:
                if len(run) >= _MIN_SPECIFIC_HAN:
                    specific.append(run)
                continue
            if len(run) == 1 or any(run[n : n + 2] not in reply for n in range(len(run) - 1)):
                return False
        return bool(specific)
