"""Names and numbers a yes/no question asks to confirm that the reply gives otherwise ("确认地点是岳阳大道63号吧"
against "岳阳大道36号", "岗位汇总表是附件2吧" against "岗位汇总表（附件3）", "网址是hnjsrc.com吧", "公众号是“湖南住建”对吧"):
the reply is then led by the no-word. The patterns are data (``claims.labels``, ``claims.ranges`` and
``claims.tagged`` in ``data/aspects.yml``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from nlu.wordlists import any_of

_HAN = re.compile(r"[\u4e00-\u9fff]")
_ADDRESS = re.compile(r"(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|gov)(?:\.cn)?)")
# A name in quotes; a quoted line of the notice ("“报名方式：电脑端报名”") holds punctuation and names nothing.
_QUOTED = re.compile(r"[“\"「『]([^”\"」』：:，,；;。]{2,16})[”\"」』]")
_COPULA = re.compile(r"(?:就是|是|为|叫|在)$")
_COPULA_AHEAD = re.compile(r"(?:就是|是|为|叫)")
# What follows the word a quoted name is labelled with ("公众号叫湖南住建吧"): a word of naming, then the name, up to
# the words that ask; not a step ("公众号是点右下角的继续教育不").
_NAMING = r"(?:是不是|是否)?(?:是|叫|名叫|叫做|为|搜|是搜|是关注)[“\"「『]?(?![点进在要用去有从按])([\u4e00-\u9fff]+?)(?:[”\"」』]|的|吧|吗|啵|呢|对|是|不|没|\s|$)"
# "先学后报名", "先交钱再去确认": what comes first and what after it.
_FIRST_THEN = re.compile(
    r"先([\u4e00-\u9fff]{1,6}?)\s?(?:以后|之后|后|再|然后|才)(?:去|来|能|可以)?([\u4e00-\u9fff]{1,6})"
)
_DOT = re.compile(r"[点點](com|cn|net|org)")
_LABEL = 2
_MIN_NAME = 4
MIN_LISTED = 2  # a reply naming this many things of a list gives that list


class LabelChecker:
    """Compare the labelled values of a question with the reply's."""

    def __init__(
        self,
        labels: Iterable[str] = (),
        ranges: Iterable[Iterable[str]] = (),
        tagged: Iterable[str] = (),
        lists: Iterable[Iterable[Iterable[str]]] = (),
        enough: Iterable[str] = (),
        steps: Iterable[Iterable[Iterable[str]]] = (),
    ) -> None:
        # the steps the notice orders, as chains of steps each named by its words
        self._steps = [[tuple(str(w) for w in names) for names in chain] for chain in steps]
        self._labels = [re.compile(str(p)) for p in labels]
        pairs = [tuple(str(p) for p in pair) for pair in ranges]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"claims.ranges: each entry is [question pattern, reply pattern], got {pairs!r}")
        self._ranges = [(re.compile(q), re.compile(r)) for q, r in pairs]
        # a number tagged by a word before it ("附件3") belongs to what the text names just before the tag
        self._tagged = [re.compile(re.escape(str(t)) + r"(\d+)") for t in tagged]
        # the things one list of the notice holds, each by its names (the materials to bring, what logs in), and
        # things of the same kind it does not hold ("手机号" for logging in)
        # (a list marked ``one`` names the parts of one thing, the place or the website: naming some of them
        # calls nothing enough)
        self._lists: list[list[tuple[str, ...]]] = []
        self._others: list[tuple[str, ...]] = []
        self._several: list[list[tuple[str, ...]]] = []
        for entry in lists:
            things, others = (
                (entry.get("things", ()), entry.get("others", ()))
                if isinstance(entry, Mapping)
                else (entry, ())
            )
            self._lists.append([tuple(str(n) for n in item) for item in things])
            self._others.append(tuple(str(o) for o in others))
            if not (isinstance(entry, Mapping) and entry.get("one")):
                self._several.append(self._lists[-1])
        self._enough = any_of(enough)
        # what says a thing named just before is not needed ("身份证复印件不用带吧")
        self._dropped = re.compile(r"(?:就|也|都)?(?:不用|不需要|不必)(?:带|交|拿|提供|准备|输|填)")

    def incomplete(self, question: str, reply: str) -> bool:
        """ "只要带身份证复印件就行了吗", "带身份证和登记表就够了吧" against a reply that lists three materials:
        a question that calls some of a list's things enough, where the reply's list holds others too."""
        if self._enough is None or self._enough.search(question) is None:
            return False
        for items in self._several:
            stated = [any(n in reply for n in names) for names in items]
            if sum(stated) < MIN_LISTED:
                continue
            named = [any(n in question for n in names) for names in items]
            if any(named) and any(s and not n for s, n in zip(stated, named, strict=True)):
                return True
        return False

    def denied(self, question: str, reply: str) -> bool:
        """Whether the no-word answers ``question`` whatever it asks: it calls some of a list enough
        (``incomplete``), names a thing of a list's kind the list does not hold (``outside``) or puts steps in
        another order than the notice (``out_of_order``)."""
        return (
            self.incomplete(question, reply)
            or self.outside(question, reply)
            or self.left_out(question, reply)
            or self.out_of_order(question)
        )

    def out_of_order(self, question: str) -> bool:
        """ "能先学后报名吗": a question that puts a step before one the notice has come first."""
        for m in _FIRST_THEN.finditer(question):
            for chain in self._steps:
                first, then = _step(chain, m.group(1)), _step(chain, m.group(2))
                if first is not None and then is not None and first > then:
                    return True
        return False

    def left_out(self, question: str, reply: str) -> bool:
        """ "身份证复印件不用带吧" against a reply that lists it: a thing of a list the reply gives, said to be
        not needed."""
        if self._dropped is None:
            return False
        for items in self._several:
            if sum(any(n in reply for n in names) for names in items) < MIN_LISTED:
                continue
            for names in items:
                for name in names:
                    at = question.find(name)
                    if at >= 0 and name in reply and self._dropped.match(question, at + len(name)):
                        return True
        return False

    def outside(self, question: str, reply: str) -> bool:
        """ "登录要输手机号吗" against a reply that lists what logs in: a question that names a thing of a list's
        kind the list does not hold."""
        for items, others in zip(self._lists, self._others, strict=True):
            listed = others and sum(any(n in reply for n in names) for names in items) >= MIN_LISTED
            if listed and any(_claimed(question, o) for o in others) and not any(o in reply for o in others):
                return True
        return False

    def contradicted(self, question: str, reply: str) -> bool:
        """Whether a label of ``question`` has another value in ``reply`` (``question`` folded)."""
        for label in self._labels:
            given = set(label.findall(reply))
            if given and any(value not in given for value in label.findall(question)):
                return True
        for asked, stated in self._ranges:
            given_ranges = set(stated.findall(reply))
            if given_ranges and any(r not in given_ranges for r in asked.findall(question)):
                return True
        return any(self._mistagged(tag, question, reply) for tag in self._tagged)

    @staticmethod
    def _mistagged(tag: re.Pattern[str], question: str, reply: str) -> bool:
        """ "汇总表是附件2" against "岗位汇总表（附件3）": what the question tags, the reply tags otherwise; or
        against titles listed after their tags ("附件1《…线上培训流程》"), a title of another tag."""
        titles = {n: title for n, title in re.findall(tag.pattern + r"《([^》]+)》", reply)}
        for m in tag.finditer(question):
            subject = _COPULA.sub("", question[max(0, m.start() - 6) : m.start()])
            # "附件2是汇总表吧": named after the tag and a word of naming
            ahead = _COPULA_AHEAD.match(question, m.end())
            if ahead is not None:
                subject += "，" + question[ahead.end() : ahead.end() + 6]
            pairs = [subject[n : n + 2] for n in range(len(subject) - 1) if _HAN.fullmatch(subject[n])]
            if m.group(1) in titles:
                own = sum(p in titles[m.group(1)] for p in pairs)
                return any(sum(p in t for p in pairs) > own for t in titles.values())
            for pair in pairs:
                for at in (i.start() for i in re.finditer(re.escape(pair), reply)):
                    found = tag.search(reply, at, at + 10)
                    if found is not None:
                        return found.group(1) != m.group(1)
        return False


def _step(chain: list[tuple[str, ...]], words: str) -> int | None:
    """Where in ``chain`` the step ``words`` name stands, or None."""
    return next((n for n, names in enumerate(chain) if any(w in words for w in names)), None)


def named_otherwise(text: str, reply: str, healed: Callable[[], str] | None = None) -> bool:
    """Whether ``text`` (as typed) names a web address or a quoted name the reply does not give while it
    gives another: "網址是hnjsrc.com吧" against www.hnjsrcw.com, "关注“湖南住建”对吧" against “湖南建设人才”,
    or names unquoted what the reply names in quotes after the same word: "公众号叫湖南住建吧" against
    公众号“湖南建设人才”. ``healed`` gives the text as the trainee meant it ("公重号是搜…" is 公众号),
    compared when the text as typed names nothing otherwise."""
    if _named_otherwise(text, reply):
        return True
    if healed is None:
        return False
    meant = healed()
    return meant != text and _named_otherwise(meant, reply)


def _named_otherwise(text: str, reply: str) -> bool:
    lowered, said = _DOT.sub(r".\1", text.lower()), reply.lower()  # "hnjsrc点com"
    for pattern in (_ADDRESS, _QUOTED):
        asked = pattern.findall(lowered)
        given = pattern.findall(said)
        if asked and given and any(a not in said for a in asked):
            return True
    return any(_renamed(lowered, quoted) for quoted in _QUOTED.finditer(said))


def _renamed(text: str, quoted: re.Match[str]) -> bool:
    """Whether ``text`` gives the thing named by ``quoted`` (the two characters before it say what it is:
    公众号“…” is 众号) a name of its own that neither holds nor is held by the quoted one."""
    label = quoted.string[max(0, quoted.start() - _LABEL) : quoted.start()]
    if len(label) < _LABEL or not _HAN.fullmatch(label[0]) or not _HAN.fullmatch(label[1]):
        return False
    name = quoted.group(1)
    for m in re.finditer(re.escape(label) + _NAMING, text):
        asked = m.group(1)
        if len(asked) >= _MIN_NAME and asked not in name and name not in asked:
            return True
    return False


def _claimed(question: str, other: str) -> bool:
    """Whether ``question`` names ``other`` as what is so, not denied ("是按人交不是按单位交吧")."""
    at = question.find(other)
    if at < 0:
        return False
    before = question[max(0, at - 3) : at]
    return before.endswith("是不是") or not before.endswith(("不是", "不", "非"))
