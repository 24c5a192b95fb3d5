"""Is a "…是吧" question confirmed by the reply? "公众号是湖南建设人才吧" asks to confirm a fact: when the
reply composed for it states every part of the claim, the reply starts with 是的.

The check is literal and strict, so it never says 是的 to a claim the reply does not make: the claim must
name something specific (a number, a Latin word such as a web address, or three or more Chinese characters in
a row) that the reply contains, and every other content word of it (what is left after the stop words of
``data/aspects.yml``) must occur in the reply too. "确认是在周末吧" is not confirmed by a reply that names
the 26th-30th; "306室是吧" is not confirmed by one that says 305室; a negated claim ("不用带原件吧") never is.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable

_SPECIFIC = re.compile(r"\d+|[a-z][a-z.]+")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_MIN_SPECIFIC_HAN = 3
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")
_ASKING_TAIL = re.compile(r"(?:不|没有?|冇得?)$")


def _blank(match: re.Match[str]) -> str:
    """Blank a match out, keeping every other character where it was."""
    return " " * len(match.group(0))


class Known:
    """What the notice says, as characters and neighbouring pairs, and how characters sound.

    ``sound`` gives a character's toneless reading (pypinyin's, imported on first use: it takes about
    0.4 s to load, and most messages never need it).
    """

    def __init__(self, said: str, function_chars: str, sound: Callable[[str], str] | None = None) -> None:
        self.chars = frozenset(said)
        self.function_chars = function_chars
        self._pairs: dict[str, set[str]] = {}  # a character -> the sounds that stand beside it in the notice
        for a, b in itertools.pairwise(said):
            if _HAN_RUN.fullmatch(a + b):
                self._pairs.setdefault("<" + a, set()).add(b)
                self._pairs.setdefault(">" + b, set()).add(a)
        self._sound = sound
        self._sounds: dict[str, frozenset[str]] = {}

    def typo(self, text: str, n: int) -> bool:
        """Whether ``text[n]`` sounds like a character the notice puts beside the same neighbour."""
        sound = self.sound(text[n])
        if not sound:
            return False
        for key in (("<" + text[n - 1]) if n > 0 else "", (">" + text[n + 1]) if n + 1 < len(text) else ""):
            if key and sound in self._neighbour_sounds(key):
                return True
        return False

    def _neighbour_sounds(self, key: str) -> frozenset[str]:
        found = self._sounds.get(key)
        if found is None:
            found = self._sounds[key] = frozenset(self.sound(ch) for ch in self._pairs.get(key, ()))
        return found

    def sound(self, ch: str) -> str:
        if self._sound is None:
            self._sound = _pinyin()
        return self._sound(ch)


def _pinyin() -> Callable[[str], str]:
    from pypinyin import Style, lazy_pinyin

    def sound(ch: str) -> str:
        return lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")[0] if _HAN_RUN.match(ch) else ""

    return sound


class ClaimChecker:
    """Compare the content of a folded question with a reply."""

    def __init__(
        self,
        stop_words: Iterable[str],
        asking: Iterable[str],
        negations: str,
        units: Iterable[str] = (),
        not_negations: Iterable[str] = (),
    ) -> None:
        # Words holding a negation character that deny nothing: 识别, 无误, 不少于 …
        plain = sorted({str(w) for w in not_negations if w}, key=len, reverse=True)
        self._not_negations = re.compile("|".join(map(re.escape, plain))) if plain else None
        unit_words = sorted({str(u) for u in units if u}, key=len, reverse=True)
        self._amounts = (
            re.compile(r"(\d+(?:\.\d+)?)\s*(" + "|".join(map(re.escape, unit_words)) + ")")
            if unit_words
            else None
        )
        words = sorted({str(w) for w in stop_words if w}, key=len, reverse=True)
        self._stop = re.compile("|".join(map(re.escape, words))) if words else None
        asked = sorted({str(w) for w in asking if w}, key=len, reverse=True)
        self._asking = re.compile("|".join(map(re.escape, asked))) if asked else None
        self._negation = re.compile(f"[{re.escape(negations)}]") if negations else None

    def uncovered(
        self,
        folded_question: str,
        reply: str,
        known: Known,
    ) -> list[str]:
        """The characters of a yes/no question that neither ``reply`` nor the notice mentions.

        "培训费能报销吗" against the fee answer leaves "销": the notice never speaks of reimbursement, so a yes
        would be invented. Characters are compared one by one (lenient about word order), after the asking
        words, stop words and ``known.function_chars`` (能, 要, 可以 …) are dropped. A character that sounds
        like one the notice uses next to the same neighbour is a typo, not a new subject: 收废 (收费),
        陪训 (培训), 标准原 (标准员).
        """
        text = folded_question
        if self._asking is not None:
            text = self._asking.sub(_blank, text)
        lowered = reply.lower()
        text = _SPECIFIC.sub(lambda m: _blank(m) if m.group(0) in lowered else m.group(0), text)
        if self._stop is not None:
            text = self._stop.sub(_blank, text)
        missing = []
        for n, ch in enumerate(text):
            if not ch.isalnum() or ch in reply or ch in known.chars or ch in known.function_chars:
                continue
            if not known.typo(folded_question, n):
                missing.append(ch)
        return missing

    def contradicted(self, folded_question: str, reply: str) -> bool:
        """True when the question names an amount ("200元", "306室") that the reply gives otherwise: the reply
        names the same unit only with other numbers. "培训费是200元吗" against "100元/人" is answered 不是."""
        if self._amounts is None:
            return False
        given: dict[str, set[str]] = {}
        for number, unit in self._amounts.findall(reply):
            given.setdefault(unit, set()).add(number)
        return any(
            unit in given and number not in given[unit]
            for number, unit in self._amounts.findall(folded_question)
        )

    def negated(self, folded_question: str) -> bool:
        """Whether the claim denies something ("不用带原件吧", "是免费的吗"): a yes to it is not a yes to
        its topic. A final 不 or 没有 asks ("有人监督不") and 识别, 无误 … deny nothing."""
        text = _A_NOT_A.sub(" ", _ASKING_TAIL.sub("", folded_question))  # 能不能, 有没有 ask both ways
        if self._not_negations is not None:
            text = self._not_negations.sub(" ", text)
        return self._negation is not None and self._negation.search(text) is not None

    def confirmed(self, folded_question: str, reply: str, function_chars: str = "") -> bool:
        """True when the reply states every part of what the question asks to confirm.

        Each run of content characters must share a pair of neighbouring characters with the reply, and each
        of its characters must occur in the reply unless it is a function character (能, 人, 先 …): "现场有
        人监督吗" is confirmed by "…现场监督", "手机学习是关注湖南建设人才公众号吗" by the mobile answer.
        """
        if self._asking is not None:
            folded_question = self._asking.sub(" ", folded_question)
        # "有人监督不": a final 不 asks, it does not deny (nor is it a content word of the claim)
        folded_question = _ASKING_TAIL.sub("", folded_question)
        if self.negated(folded_question):
            return False  # "不用带原件吧": a negated claim is not confirmed by a reply that names the thing
        reply = reply.lower()
        specific = [t for t in _SPECIFIC.findall(folded_question) if t in reply]
        if any(t not in reply for t in _SPECIFIC.findall(folded_question)):
            return False  # a number or address the reply does not give: not confirmed
        content = _SPECIFIC.sub(" ", folded_question)
        if self._stop is not None:
            content = self._stop.sub(" ", content)
        for run in _HAN_RUN.findall(content):
            if run in reply:
                if len(run) >= _MIN_SPECIFIC_HAN:
                    specific.append(run)
                continue
            if len(run) == 1 or (
                len(run) > 2 and not any(run[n : n + 2] in reply for n in range(len(run) - 1))
            ):
                return False  # a longer run shares a pair with the reply; 网站 need only its 网
            stated = [ch for ch in run if ch not in function_chars]
            if any(ch not in reply for ch in stated):
                return False
            if len(stated) >= 2:  # "有人监督吗": 监督 is stated, 有人 only asks
                specific.append(run)
        return bool(specific)
