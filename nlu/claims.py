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

from nlu.wordlists import alternation, any_of

_SPECIFIC = re.compile(r"\d+|[a-z][a-z.]+")
# An amount or a room (not a year), left in a question when the reply lacks it.
_AMOUNT = re.compile(r"(?<!\d)(?!(?:19|20)\d\d)\d{3,}")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_MIN_SPECIFIC_HAN = 3
_PLACES_KEPT = 256  # replies whose characters' places are kept for healing questions against them
A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")  # 能不能, 有没有: asked both ways
_ASKING_TAIL = re.compile(r"(?:不|没有?|冇得?)(?=$|[\s，,？?])")
# Where a claim's subject ends and what it says of it begins: "监督单位|是|城乡建设事务中心", "报名登录|要|用身份证号".
_COPULA = re.compile(r"(?<=[\u4e00-\u9fff]{2})[是要](?=[\u4e00-\u9fff]{2})")


# Where a sentence of a reply ends: the parties before an act are looked for in its own sentence only.
_SENTENCE_END = re.compile(r"[。；;！!？?\n]")


def _shares_pair(run: str, reply: str) -> bool:
    """Whether two neighbouring characters of ``run`` stand together in ``reply``."""
    return any(run[n : n + 2] in reply for n in range(len(run) - 1))


def _blank(match: re.Match[str]) -> str:
    """Blank a match out, keeping every other character where it was."""
    return " " * len(match.group(0))


# A range of days as a claim names it ("26到30号", "26号至30日").
_RANGE = re.compile(r"(\d{1,2})[号日]?\s*(?:到|至|-|~|～|—)\s*(\d{1,2})[号日]")


class Known:
    """What the notice says, as characters and neighbouring pairs, and how characters sound.

    ``sound`` gives a character's toneless reading (pypinyin's, imported on first use: it takes about
    0.4 s to load, and most messages never need it).
    """

    def __init__(self, said: str, function_chars: str, sound: Callable[[str], str] | None = None) -> None:
        self.chars = frozenset(said)
        self.function_chars = function_chars
        self._pairs: dict[str, set[str]] = {}  # a character -> the sounds that stand beside it in the notice
        for run in _HAN_RUN.findall(said):
            for a, b in itertools.pairwise(run):
                self._pairs.setdefault("<" + a, set()).add(b)
                self._pairs.setdefault(">" + b, set()).add(a)
        self._sound = sound
        self._sounds: dict[str, frozenset[str]] = {}
        self._places: dict[str, dict[str, list[int]]] = {}

    def typo(self, text: str, n: int) -> bool:
        """Whether ``text[n]`` sounds like a character the notice puts beside the same neighbour."""
        sound = self.sound(text[n])
        if not sound:
            return False
        for key in (("<" + text[n - 1]) if n > 0 else "", (">" + text[n + 1]) if n + 1 < len(text) else ""):
            if key and sound in self._neighbour_sounds(key):
                return True
        return False

    def novel_pairs(self, text: str, reply: str) -> list[str]:
        """The pairs of neighbouring content characters of ``text`` that neither ``reply`` nor the notice
        ever puts together: "职称" in "能抵职称的继续教育吗", where each character alone is known."""
        found = []
        for n, (a, b) in enumerate(itertools.pairwise(text)):
            if a in self.function_chars or b in self.function_chars or not _HAN_RUN.fullmatch(a + b):
                continue
            if a + b in reply or b in self._pairs.get("<" + a, ()):
                continue
            if self.typo(text, n) or self.typo(text, n + 1):
                continue
            found.append(a + b)
        return found

    def heal(self, text: str, reply: str, keep: str = "") -> str:
        """``text`` with each character the reply lacks replaced by one of the reply's that sounds the same
        and stands beside the same neighbour there: "身份证复印见" against "…身份证复印件…" reads 复印件,
        "岳阳日保社" reads 岳阳日报社 (a slip of the pinyin input, not a different claim). Function
        characters and those in ``keep`` (是, 要 …) are never replaced."""
        healed = list(text)
        beside: dict[str, list[int]] | None = None
        for n, ch in enumerate(text):
            if ch in reply or ch in keep or ch in self.function_chars or not _HAN_RUN.match(ch):
                continue
            sound = self.sound(ch)
            if not sound:
                continue
            beside = self._beside(reply) if beside is None else beside
            # the reply's places after the character before this one, or before the one after it: the first
            before = beside.get("<" + text[n - 1], []) if n > 0 else []
            after = beside.get(">" + text[n + 1], []) if n + 1 < len(text) else []
            for i in sorted({*before, *after}):
                if _HAN_RUN.match(reply[i]) and self.sound(reply[i]) == sound:
                    healed[n] = reply[i]
                    break
        return "".join(healed)

    def _beside(self, reply: str) -> dict[str, list[int]]:
        """Where each character of ``reply`` stands: "<a" the places right after an a, ">a" right before one
        (the last replies' kept: the few answers of a topic are checked again and again)."""
        found = self._places.get(reply)
        if found is None:
            found = {}
            for i, (a, b) in enumerate(itertools.pairwise(reply)):
                found.setdefault("<" + a, []).append(i + 1)
                found.setdefault(">" + b, []).append(i)
            if len(self._places) >= _PLACES_KEPT:
                self._places.clear()
            self._places[reply] = found
        return found

    def _neighbour_sounds(self, key: str) -> frozenset[str]:
        found = self._sounds.get(key)
        if found is None:
            found = self._sounds[key] = frozenset(self.sound(ch) for ch in self._pairs.get(key, ()))
        return found

    def sound(self, ch: str) -> str:
        if self._sound is None:
            self._sound = pinyin_sound()
        return self._sound(ch)


def pinyin_sound() -> Callable[[str], str]:
    """A character's toneless pinyin by pypinyin (about 0.4 s to import), or "" for a non-Chinese one."""
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
        opposites: Iterable[Iterable[str]] = (),
        paying: Iterable[str] = (),
        parties: Iterable[Iterable[str]] = (),
        acts: Iterable[str] = (),
        choices: Iterable[str] = (),
    ) -> None:
        # Who does what: a party named doing an act the reply gives only to another party is not confirmed.
        self._party_of = {str(word): n for n, group in enumerate(parties) for word in group if word}
        self._parties = any_of(self._party_of)
        self._acts = any_of(acts)
        # acts whose party comes after them: "报名的时候选岳阳市住建局" against "选择“岳阳市—岳阳市房地产业协会”"
        self._choices = any_of(choices)
        # Words holding a negation character that deny nothing: 识别, 无误, 不少于 …
        self._not_negations = any_of(not_negations)
        listed = [str(u) for u in units if u]
        unit_words = alternation(listed)
        # "21 5学时" is 21.5 folded (the fold takes the point out): its 5 is no amount of its own
        self._amounts = (
            re.compile(r"(?<!\d )(?<![\d.])(\d+(?:\.\d+)?)\s*(" + unit_words + ")") if unit_words else None
        )
        verbs = alternation(paying)
        self._money = listed[0] if listed else ""  # the first unit listed is the money's (元)
        # "200块", "200块钱": money in other words
        self._money_words = re.compile(r"(?<=\d)(?:块钱|块|快)")
        self._paid = (
            re.compile(
                r"(?:"
                + verbs
                + r")(?:了|个)?(\d+(?:\.\d+)?)(?![\d.])(?!\s*["
                + re.escape("".join(u[0] for u in listed))
                + "])"
            )
            if verbs and unit_words
            else None
        )
        pairs = [tuple(str(w) for w in pair) for pair in opposites]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"claims.opposites: each entry is a pair of words, got {pairs!r}")
        # longest first, so that 确认之前 is read as 确认 + 之前, not 认之 + 前
        self._opposites = sorted(pairs + [(b, a) for a, b in pairs], key=lambda p: -len(p[0]))
        self._stop_chars = "".join(sorted({str(w) for w in stop_words if len(str(w)) == 1}))
        self._stop = any_of(stop_words)
        self._asking = any_of(asking)
        self._negation = re.compile(f"[{re.escape(negations)}]") if negations else None

    def uncovered(
        self,
        folded_question: str,
        reply: str,
        known: Known,
        *,
        pairs: bool = False,
    ) -> list[str]:
        """The characters of a yes/no question that neither ``reply`` nor the notice mentions (with
        ``pairs``, also the pairs of characters the notice never puts together: ``Known.novel_pairs``).

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
        missing = self.misattributed(folded_question, reply)
        missing += _AMOUNT.findall(text)  # "要交200块 对吧" against a reply without 200: no yes to it
        for n, ch in enumerate(text):
            if not ch.isalnum() or ch in reply or ch in known.chars or ch in known.function_chars:
                continue
            if not known.typo(folded_question, n):
                missing.append(ch)
        if pairs and not missing:
            missing = known.novel_pairs(text, reply)
        return missing

    def misattributed(self, question: str, reply: str) -> list[str]:
        """The parties the question has doing an act that the reply gives only to others: "协会有没有组织线下
        培训" against "…学校、企业等单位组织的…" leaves 协会 (the notice does not say the association does)."""
        found = self._chosen_otherwise(question, reply)
        if self._parties is None or self._acts is None:
            return found
        done_by: dict[str, set[int]] = {}
        for act in self._acts.finditer(reply):  # every time the reply names the act
            # the parties named before it in its sentence ("接受建设行政主管部门、企业、行业协会和社会的监督")
            before = _SENTENCE_END.split(reply[: act.start()])[-1][-24:]
            done_by.setdefault(act.group(0), set()).update(
                self._party_of[m.group(0)] for m in self._parties.finditer(before)
            )
        for act in self._acts.finditer(question):
            givers = done_by.get(act.group(0))
            named = [m.group(0) for m in self._parties.finditer(question[: act.start()][-10:])]
            if givers and named and self._party_of[named[-1]] not in givers:
                found.append(named[-1])
        return found

    def _chosen_otherwise(self, question: str, reply: str) -> list[str]:
        """The party the question has chosen where the reply has only others chosen."""
        if self._choices is None or self._parties is None:
            return []
        chosen: set[int] = set()
        for act in self._choices.finditer(reply):
            chosen.update(self._party_of[m.group(0)] for m in self._parties.finditer(reply[act.end() :][:16]))
        # the last choice named is the one asked of: "选单位的时候，是选“…房地产业协会”吧" chooses the association
        acts = list(self._choices.finditer(question))
        named = self._parties.search(question[acts[-1].end() :][:12]) if acts else None
        if chosen and named and self._party_of[named.group(0)] not in chosen:
            return [named.group(0)]
        return []

    def contradicted(self, folded_question: str, reply: str, *, parties: bool = True) -> bool:
        """True when the question names an amount ("200元", "306室") that the reply gives otherwise: the reply
        names the same unit only with other numbers. "培训费是200元吗" against "100元/人" is answered 不是.
        Likewise an order: "缴费是在确认前吗" against "…资格确认合格后缴纳" (``opposites``), and an act the reply
        gives to another party: "登记表是协会盖章吗" against "由在岗单位盖章" (``misattributed``)."""
        if self._reversed(folded_question, reply) or (parties and self.misattributed(folded_question, reply)):
            return True
        if self._amounts is None:
            return False
        asked = self._amounts.findall(self._money_words.sub(self._money, folded_question))
        if self._paid is not None:  # "要交300": an amount paid is money even without 元
            asked += [(number, self._money) for number in self._paid.findall(folded_question)]
        if not asked:
            return False  # most questions name no amount: the reply's are not read
        given: dict[str, set[str]] = {}
        for number, unit in self._amounts.findall(reply):
            given.setdefault(unit, set()).add(number)
        return any(unit in given and number not in given[unit] for number, unit in asked)

    def _reversed(self, question: str, reply: str) -> bool:
        """Whether the question puts a word before one of a pair ("确认前") and the reply, naming the same word,
        only the other ("确认合格后"): two characters before the pair's word are what it is said of."""
        for word, other in self._opposites:
            at = question.find(word)
            if at < 2 or not _HAN_RUN.fullmatch(question[at - 2 : at]):
                continue
            anchor = re.escape(question[at - 2 : at])
            if re.search(f"{anchor}.{{0,4}}{re.escape(other)}", reply) and not re.search(
                f"{anchor}.{{0,4}}{re.escape(word)}", reply
            ):
                return True
        return False

    @staticmethod
    def both_ways(text: str) -> str:
        """``text`` without the A-not-A forms that ask both ways (能不能, 有没有)."""
        return A_NOT_A.sub(" ", text)

    def negated(self, folded_question: str) -> bool:
        """Whether the claim denies something ("不用带原件吧", "是免费的吗"): a yes to it is not a yes to
        its topic. A final 不 or 没有 asks ("有人监督不") and 识别, 无误 … deny nothing."""
        text = self.both_ways(_ASKING_TAIL.sub(" ", folded_question))  # 能不能, 有没有 ask both ways
        if self._not_negations is not None:
            text = self._not_negations.sub(" ", text)
        return self._negation is not None and self._negation.search(text) is not None

    def confirmed(
        self, folded_question: str, reply: str, function_chars: str = "", known: Known | None = None
    ) -> bool:
        """True when the reply states every part of what the question asks to confirm.

        Each run of content characters must share a pair of neighbouring characters with the reply, and each
        of its characters must occur in the reply unless it is a function character (能, 人, 先 …): "现场有
        人监督吗" is confirmed by "…现场监督", "手机学习是关注湖南建设人才公众号吗" by the mobile answer.

        With ``known`` (what the notice says), a slip of the pinyin input is read as the reply's word
        (``Known.heal``), and a claim "X是Y" / "X要Y" is confirmed when the reply states Y in full and X is
        on its topic (``_on_topic``): "监督单位是城乡建设事务中心吧" by "…城乡建设事务中心现场监督".
        """
        if self._asking is not None:
            folded_question = self._asking.sub(" ", folded_question)
        # "有人监督不": a final 不 asks, it does not deny (nor is it a content word of the claim)
        folded_question = _ASKING_TAIL.sub("", folded_question)
        if self.negated(folded_question):
            return False  # "不用带原件吧": a negated claim is not confirmed by a reply that names the thing
        reply = reply.lower()
        if known is not None:
            folded_question = known.heal(folded_question, reply, self._stop_chars)
        folded_question = self.both_ways(folded_question)  # 会不会, 能不能: no content of the claim
        # "每个月26到30号" is written as the notice writes it: 每月26—30日
        folded_question = _RANGE.sub(r"\1—\2", folded_question.replace("每个月", "每月"))
        if any(t not in reply for t in _SPECIFIC.findall(folded_question)):
            return False  # a number or address the reply does not give: not confirmed
        if self._states(folded_question, reply, function_chars):
            return True
        split = _COPULA.search(folded_question)
        return bool(
            split is not None
            and known is not None
            and self._on_topic(folded_question[: split.start()], reply, known)
            and self._states(folded_question[split.end() :], reply, function_chars)
        )

    def _content(self, text: str) -> list[str]:
        content = _SPECIFIC.sub(" ", text)
        if self._stop is not None:
            content = self._stop.sub(" ", content)
        return _HAN_RUN.findall(content)

    def _states(self, text: str, reply: str, function_chars: str) -> bool:
        """Whether ``reply`` states every content run of ``text`` (see ``confirmed``), one at least specific."""
        specific = [t for t in _SPECIFIC.findall(text) if t in reply]
        for run in self._content(text):
            if run in reply:
                if len(run) >= _MIN_SPECIFIC_HAN:
                    specific.append(run)
                continue
            if all(ch in function_chars for ch in run):
                continue  # "…26号到30号才搞": a run of function characters states nothing
            if len(run) == 1 or (len(run) > 2 and not _shares_pair(run, reply)):
                return False  # a longer run shares a pair with the reply; 网站 need only its 网
            stated = [ch for ch in run if ch not in function_chars]
            if any(ch not in reply for ch in stated):
                return False
            if len(stated) >= 2:  # "有人监督吗": 监督 is stated, 有人 only asks
                specific.append(run)
        return bool(specific)

    def _on_topic(self, subject: str, reply: str, known: Known) -> bool:
        """Whether the subject of "X是Y" names the reply's topic: every content run of it is in the reply,
        or shares a pair of characters with it and says nothing the notice does not ("监督单位" beside
        "…现场监督"); "缴费的地方" shares nothing with the confirmation's address and is not its topic."""
        runs = self._content(subject)
        return bool(runs) and all(
            run in reply or (_shares_pair(run, reply) and all(ch in reply or ch in known.chars for ch in run))
            for run in runs
        )
