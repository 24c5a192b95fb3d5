"""The second stage after the intent classifier: which aspect of a topic a message asks, and how.

A ``Reading`` holds what the cues in ``data/aspects.yml`` find in one message: the aspects named (``amount``,
``where``, ``stamp``, ``two_posts``, ...), whether it is a yes/no question (and the words a reply starts with),
the dates it names, the hours it states and certificate years. It is pure: the text and today's date in, a
value out; the campaign file decides what to answer for it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.kernel.yamlfile import load_yaml
from knowledge.reading import BOUND, COMPUTED, DATES, DENIED, PEOPLE, YEARS, YESNO, Polarity, Reading
from nlu.claims import ClaimChecker, Known
from nlu.dates import DateReader, asked_first
from nlu.hours import read_bound, read_hours
from nlu.labels import LabelChecker, named_otherwise
from nlu.normalize import Normalizer, phones_restored
from nlu.numerals import arabic_days, arabic_money, certificate_years, read_people
from nlu.prefilter import CharacterFilter, Deferred, branches
from nlu.shape import MessageShaper, Shape
from nlu.typos import SoundSlips
from nlu.wordlists import any_of, asks_what

DEFAULT_ASPECTS_FILE = Path(__file__).parent / "data" / "aspects.yml"
# A reply that itself says there is only one ("微信绑定唯一").
_ONLY = re.compile(r"唯一|只能|只有|仅")
# "A还是B": two options offered, not a yes/no question ("还是要交吗": 还是 for "still", before a verb of need).
_ALTERNATIVE = re.compile(
    r"^(?!.*(?:是不是|是否|能不能|可不可以|要不要|有没有|对不对))"
    r".*[\u4e00-\u9fff\d]{2}(?<![吗呢])还是(?!要|得|需|可以|能|不|会|没|一样|照样|至少|最少|只|就)[\u4e00-\u9fff\d]{2}"
)
_CLAUSES = re.compile(r"[，,。；;！!？?\s]+")
# Emoji and other symbols after the last word ("齐了吧✌️", "好的👍"), and the spaces among them.
_TRAILING_SYMBOLS = re.compile(r"[^\w?？!！。.~～]+$")
_ASKED_KEPT = 64
# The yes words a claim ("…是吧", "可以…吗", "要…吗") is confirmed with when the reply states all of it; PERMISSION's
# question, whether one may do something, is asked of anything, so a pair of words new to the notice is a new subject.
CONFIRMED = frozenset({"是的", "是", "对", "可以", "要", "有", "会", "在", "够"})
# The yes-words of a claim that something is so ("是…吧", "…对不对"): only these are denied by another party,
# name or number in the reply.
CLAIMING = frozenset({"是的", "是", "对"})
PERMISSION = "可以"


class AspectDataError(Exception):
    """An aspects file that cannot be used; the message names the file and the problem."""


class CueScanner:
    """Find every aspect whose substring cues occur in a text: a walk down a trie of the cues from each position."""

    def __init__(self, cues: Mapping[str, Iterable[str]], fold: Callable[[str], str]) -> None:
        self._trie: dict[str, Any] = {}
        for aspect, words in cues.items():
            for word in map(str, words):
                for form in {word.lower(), fold(word)} - {""}:
                    node = self._trie
                    for ch in form:
                        node = node.setdefault(ch, {})
                    node.setdefault("", set()).add(aspect)  # "" marks the end of a cue and holds its aspects

    def aspects(self, text: str) -> set[str]:
        found: set[str] = set()
        trie = self._trie
        last = len(text) - 1
        for start, ch in enumerate(text):
            node = trie.get(ch)
            if node is None:
                continue
            if ch in "不没" and 0 < start < last and text[start - 1] == text[start + 1]:
                continue  # "搞不搞", "有没有继续教育" ask both ways: no 不搞 or 没有继续教育 in them
            for nxt in text[start + 1 :]:
                owners = node.get("")
                if owners:
                    found |= owners
                node = node.get(nxt)
                if node is None:
                    break
            else:
                owners = node.get("")  # a cue ending with the text
                if owners:
                    found |= owners
        return found


_HAN = re.compile(r"[\u4e00-\u9fff]")
_POST_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}员")  # "监理员"
_BEFORE_POST = "我你他她是个的当做和跟与及也又还"  # "我是监理员": the post is 监理员


def _han_in(expression: str) -> frozenset[str] | None:
    """The Chinese characters an expression names (one is needed to match: a text with none is skipped), or None."""
    return frozenset(_HAN.findall(expression)) or None


# "三十几个", "二十几": a number told roughly, asking nothing
_ABOUT = re.compile(r"(?<=[一二三四五六七八九十两\d])几")


def aspect_names(path: Path | str = DEFAULT_ASPECTS_FILE) -> frozenset[str]:
    """Every aspect a reading can hold: the named cues, the patterns and the computed ones."""
    raw = load_yaml(Path(path).read_text(encoding="utf-8"))
    return frozenset(raw["aspects"]) | frozenset(raw.get("patterns", {})) | COMPUTED


class AspectReader:
    """Read a message's aspects, yes/no form, dates, hours and years with the cues of one aspects file."""

    def __init__(self, raw: Mapping[str, Any], normalizer: Normalizer) -> None:
        self._normalizer = normalizer
        try:
            self._scanner = CueScanner(raw["aspects"], normalizer.with_synonyms)
            self.cue_words = tuple(str(c) for cues in raw["aspects"].values() for c in cues)
            # Each expression of an aspect on its own: skipped when the aspect's substring cues already found
            # it, when the text has none of the Chinese characters the aspect's expressions name, or when it
            # lacks a character this expression cannot match without (the prefilter, per expression: most
            # tried expressions match nothing, and one aspect's alternatives need different characters).
            self._patterns = [
                (aspect, _han_in("".join(ps)), Deferred(p))
                for aspect, ps in raw.get("patterns", {}).items()
                for p in ps
            ]
            # A cue's alternatives one by one, in order (the first cue one of whose alternatives matches wins)
            self._polarity = [
                (
                    _han_in(item["cue"]),
                    Deferred(alternative),
                    Polarity(str(item["yes"]), str(item["no"]), str(item.get("asks", "is"))),
                )
                for item in raw["polarity"]
                for alternative in branches(item["cue"])
            ]
            endings = {str(k): str(v) for k, v in raw.get("question_endings", {}).items()}
            self._endings = sorted(endings.items(), key=lambda kv: -len(kv[0]))
            self._ending_words = tuple(endings)  # most questions end in none of them: one test in C
            self._asks_what = any_of(raw.get("question_words", ()))
            self._asks_value = asks_what(raw)  # or a noun at the end of a bare "…？": "确认时间？"
            claims = raw.get("claims", {})
            self._function_chars = str(claims.get("function_chars", ""))
            # Characters that only ask or join (的, 那, 是 …): never read as a slip of another
            self.plain_chars = str(claims.get("never_slips", "")) + "".join(
                str(w) for w in claims.get("stop_words", ()) if len(str(w)) == 1
            )
            self._claims = ClaimChecker(
                claims.get("stop_words", ()),
                claims.get("asking", ()),
                str(claims.get("negations", "")),
                claims.get("units", ()),
                claims.get("not_negations", ()),
                claims.get("opposites", ()),
                claims.get("paying", ()),
                claims.get("parties", ()),
                claims.get("acts", ()),
                claims.get("choices", ()),
            )
            self._labels = LabelChecker(
                claims.get("labels", ()),
                claims.get("ranges", ()),
                claims.get("tagged", ()),
                claims.get("lists", ()),
                claims.get("enough", ()),
                claims.get("steps", ()),
            )
            self._exclusive = any_of(claims.get("exclusive", ()))
            self._denials = any_of(claims.get("denials", ()))
            self._denying = frozenset(str(a) for a in claims.get("denying", ()))
            self._dates = DateReader(raw["dates"])
            self._shaper = MessageShaper(raw["shapes"], self.fold)
        except (KeyError, TypeError, ValueError, re.error) as exc:
            raise AspectDataError(f"aspects data: {exc!r}") from exc
        # The last texts' yes/no forms: one message asks it of its question, a clause of it and its parts.
        self._asked: dict[str, tuple[str, Polarity | None]] = {}
        self.names = frozenset(raw["aspects"]) | {a for a, _, _ in self._patterns} | COMPUTED
        self._year_patterns = [re.compile(p.pattern) for aspect, _, p in self._patterns if aspect == YEARS]
        self._pattern_filter = CharacterFilter(
            [p.pattern for _, _, p in self._patterns], [chars for _, chars, _ in self._patterns]
        )
        self._polarity_filter = CharacterFilter(
            [cue.pattern for _, cue, _ in self._polarity], [chars for chars, _, _ in self._polarity]
        )

    @classmethod
    def load(cls, normalizer: Normalizer, path: Path | str = DEFAULT_ASPECTS_FILE) -> AspectReader:
        """Read the cues from an aspects YAML file; ``normalizer`` is the classifier's."""
        try:
            raw = load_yaml(Path(path).read_text(encoding="utf-8"), plain=True)
        except (OSError, yaml.YAMLError) as exc:
            raise AspectDataError(f"{path}: {exc}") from exc
        return cls(raw, normalizer)

    def forms(self, text: str) -> tuple[str, str]:
        """The basic and the canonical form of ``text``."""
        basic = self._normalizer.basic(text)
        return basic, self._normalizer.canonical(basic)

    def fold(self, text: str) -> str:
        """The classifier's canonical form of ``text``."""
        return self.forms(text)[1]

    def shape(self, text: str) -> Shape:
        """Tell an acknowledgement, English or a question apart, and find the question in the message."""
        return self._shaper.shape(text)

    def asking_clause(self, text: str) -> str | None:
        """The last clause of ``text`` that asks something, when it has several (see ``MessageShaper``)."""
        return self._shaper.asking_clause(text)

    def question_form(self, basic: str, folded: str) -> str:
        """``folded`` ending in the question mark its particle or punctuation means: "能去啵", "可以马", "周末确认?",
        "也要带咯？" end in 吗; "是…吧" keeps its 吧 (folding drops particles); "在哪里确认?" asks what: no 吗."""
        typed = _TRAILING_SYMBOLS.sub("", basic)  # "齐了吧✌️": an emoji after the question ends nothing
        tail = typed.rstrip("?？!！。.~～ ")
        asked = len(tail) < len(typed) and typed[-1:] in "?？"
        for ending, mark in self._endings if tail.endswith(self._ending_words) else ():
            if tail.endswith(ending) and len(tail) > len(ending):
                if folded.endswith(ending):
                    stem = folded[: -len(ending)]
                elif mark and folded.endswith(mark):
                    stem = folded[: -len(mark)]  # folding already wrote the mark ("合格冇" is "合格没有")
                else:
                    stem = folded
                # after 嘛 the text as typed is read: folding drops the 嘛 of 干嘛 too ("还要干嘛")
                if (
                    mark in ("吗", "吧")
                    and ending != mark
                    and self._asks_what_in(tail if ending == "嘛" else stem)
                ):
                    return stem
                if asked and (not mark or (mark == "吧" and ending != "吧")) and not self._asks_what_in(stem):
                    mark = "吗"  # "也要带咯？" asks, where "是100块咯" asks to confirm
                return stem + mark
        value = self._asks_value  # "确认时间？" asks the time
        return folded + ("吗" if asked and not (value and value.search(folded)) else "")

    def _asks_what_in(self, text: str) -> bool:
        return self._asks_what is not None and self._asks_what.search(_ABOUT.sub("", text)) is not None

    def polarity(self, folded: str) -> Polarity | None:
        """The yes/no form of a folded question (see ``question_form``), or None when it is not one; a
        question between two options ("每个人交一份还是单位交一份") is none."""
        if "还是" in folded and _ALTERNATIVE.search(folded):
            return None
        for n in self._polarity_filter.candidates(folded):
            _, cue, polarity = self._polarity[n]
            found = cue.search(folded)
            if found:
                if "{0}" not in polarity.yes:
                    return polarity
                verb = found.group(1)  # "办不办": the word asked is the word answered
                return Polarity(polarity.yes.format(verb), polarity.no.format(verb), polarity.asks)
        return None

    def asked(self, text: str) -> tuple[str, Polarity | None]:
        """The folded ``text`` and its yes/no form (the last texts', remembered: a reply asks it again)."""
        memo = self._asked.get(text)
        if memo is not None:
            return memo
        basic, folded = self.forms(text)
        polarity = self.polarity(self.question_form(basic, folded)) or self._asked_before_remark(basic)
        if len(self._asked) >= _ASKED_KEPT:
            self._asked.clear()
        self._asked[text] = (folded, polarity)
        return folded, polarity

    def _asked_before_remark(self, basic: str) -> Polarity | None:
        """The yes/no form of the last clause that asks, when every clause after it only remarks
        ("能先交钱再去确认不 省得跑两趟", "12.31前学完就ok了吧 现在才开始😅"); None otherwise."""
        clauses = [c for c in _CLAUSES.split(basic) if c]
        if len(clauses) < 2:
            return None  # one clause: already read whole
        for n, clause in enumerate(reversed(clauses)):
            if self._asks_what_in(self.forms(clause)[1]):
                return None  # "家里电脑能学不 哪门操作": the last question asks how
            polarity = self._clause_polarity(clause) if n else None
            if polarity is not None:
                return polarity
        return None

    def _clause_polarity(self, clause: str) -> Polarity | None:
        """The yes/no form of one clause of a message."""
        return self.polarity(self.question_form(*self.forms(clause)))

    def confirmation(self, text: str, reply: str, known: Callable[[], Known] | None = None) -> str | None:
        """The word a reply starts with when ``text`` asks to confirm a fact ("…是吧") that ``reply`` states
        in full (see ``nlu.claims``); None otherwise."""
        claim = self._claim(text)
        if claim is None:
            return None
        folded, polarity = claim
        notice = None if known is None else known()  # built only for a claim to check
        confirmed = self._claims.confirmed(arabic_days(folded), reply, self._function_chars, notice)
        return polarity.yes if confirmed else None

    def contradiction(self, text: str, reply: str, known: Callable[[], Known] | None = None) -> str | None:
        """The no-word a reply starts with when ``text`` asks to confirm an amount ("是200元吗") that
        ``reply`` gives otherwise; None otherwise. ``known`` reads a name as meant ("公重号" is 公众号)."""
        folded, polarity = self.asked(text)
        if polarity is not None and self._labels.denied(folded, reply):
            return polarity.no  # "带身份证和登记表就够了吧", "登录要输手机号吗", "能先学后报名吗"
        claim = self._claim(text)
        if claim is None:
            return None
        # "两百块一个人" is 200块; a mobile number the fold hid is checked as typed
        folded, polarity = phones_restored(arabic_days(arabic_money(claim[0])), text), claim[1]
        # read as meant, only when a name is compared: the synonyms' slips (公中号 is 公众号), then the reply's sounds
        synonyms = self._normalizer.with_synonyms
        heal = None if known is None else lambda: known().heal(synonyms(text), reply, self.plain_chars)
        # who does what is denied only by "是…吗": "协会有没有组织…" is not answered 没有 by another's doing it
        parties = polarity.yes in CLAIMING
        # a number or range named otherwise is denied when asked whether one may too ("每个月1号到5号能去确认吗")
        numbered = (parties or polarity.yes == PERMISSION) and self._labels.contradicted(folded, reply)
        named = numbered or (parties and named_otherwise(text, reply, heal))
        return polarity.no if named or self._claims.contradicted(folded, reply, parties=parties) else None

    def _claim(self, text: str) -> tuple[str, Polarity] | None:
        """The folded ``text`` and its yes/no form when it asks to confirm something (its yes word is one a
        claim is confirmed with); None otherwise."""
        folded, polarity = self.asked(text)
        return None if polarity is None or polarity.yes not in CONFIRMED else (folded, polarity)

    def known(self, said: str, sound: Callable[[str], str] | None = None) -> Known:
        """What the notice says (``said``: its answers and facts), to check questions against; ``sound``
        reads a character's pinyin (default: pypinyin's)."""
        return Known(said, self._function_chars, sound)

    def negated(self, text: str, reply: str = "") -> bool:
        """Whether a yes/no question denies what it asks about ("是免费的吗", "可以不交钱吗") or asks whether
        it is the only way ("只能在电脑上学吗") when the reply says nothing is ("微信绑定唯一" answers "是不是
        只能绑一个"): a yes to its topic is no yes to it."""
        folded, polarity = self.asked(text)
        if polarity is None:
            return False
        return self._claims.negated(folded) or (
            self._exclusive is not None
            and self._exclusive.search(folded) is not None
            and _ONLY.search(reply) is None
        )

    def unanswered(self, text: str, reply: str, known: Known) -> list[str]:
        """What a yes/no question asks that neither ``reply`` nor the notice (``known``) mentions ("销" in
        "培训费能报销吗", and when it asks whether one may, "职称" in "能抵职称吗"); empty when it is not a
        yes/no question or all of it is mentioned."""
        folded, polarity = self.asked(text)
        if polarity is None:
            return []  # a question that asks what or how is answered by its topic; a yes would be invented
        return self._claims.uncovered(folded, reply, known, pairs=polarity.yes == PERMISSION)

    def read(self, text: str, today: dt.date, slips: SoundSlips | None = None) -> Reading:
        """Read what ``text`` asks beyond its intent; relative dates are resolved against ``today``. With
        ``slips``, cues typed with a slip of the pinyin input are read too ("帐号被所定" as 锁定)."""
        basic, folded = self.forms(text)
        if slips is not None:
            healed = slips.heal(basic)
            basic, folded = healed, (healed if folded == basic else slips.heal(folded))
        aspects = self._scanner.aspects(folded)
        for n in self._pattern_filter.candidates(basic):
            aspect, _, pattern = self._patterns[n]
            if aspect not in aspects and pattern.search(basic):
                aspects.add(aspect)
        folded, polarity = self.asked(text)
        if polarity is not None:
            aspects.add(YESNO)
            if (
                self._denials is not None
                and self._denials.search(self._claims.both_ways(folded))
                and self._denying.isdisjoint(aspects)
            ):
                aspects.add(DENIED)
        days = arabic_days(basic)  # "十二月三十一号" is 12月31号
        dates = asked_first(
            self._dates.read(days, today),
            lambda: [c for c in _CLAUSES.split(days) if c],
            self._clause_polarity,
        )
        if dates:
            aspects.add(DATES)
        hours = read_hours(basic)
        if hours is not None:
            aspects.update(hours.aspects)  # "小刘线上32，老周线上20线下12", "线上十二线下二十"
        named = self._dates.years_named(basic, today) if "年" in basic else basic  # "去年新取证的": 2022年…
        # the year patterns already failed on ``basic`` unless the aspect is there: only a year written out is new
        found = YEARS in aspects or named != basic
        years = certificate_years(named, self._year_patterns, today) if found else ()
        aspects.update((YEARS,) if years else ())
        people = read_people(basic)
        if people is not None:
            aspects.add(PEOPLE)
        posts = _POST_WORD.finditer(basic) if "员" in basic else ()  # most messages name no post
        post_words = tuple(w for w in (m.group(0).lstrip(_BEFORE_POST) for m in posts) if len(w) >= 3)
        bound = read_bound(basic)
        aspects.update((BOUND,) if bound else ())
        return Reading(frozenset(aspects), polarity, dates, hours, years, people, post_words, bound)
