"""What the shaper does with the clauses of one message: values asked as a list become one question each
("报名网址和咨询电话是多少"); the asker's story told after the question is left out."""

from __future__ import annotations

import re

from nlu.claims import A_NOT_A

# "报名网址和咨询电话是多少", "学时、费用、确认地点分别是么子": values asked at once (a place and a time, one answer)
_VALUES = r"地点|地址|时间|日期|网址|网站|电话|费用|培训费|公众号|材料|资料|学时"
_LISTED = re.compile(
    rf"^(?P<items>.*?(?:{_VALUES})(?:(?:和|跟|与|同|及|、|还有|\s)+[\u4e00-\u9fff]{{0,4}}?(?:{_VALUES})){{1,3}})"
    r"\s*(?P<ask>(?:分别|各)?(?:是|系|在|要)?(?:多少|什么|哪里|哪|好多|么子|啥)\W*|(?:麻烦)?(?:一起|都)?发(?:一)?下\W*)$"
)
_LIST_JOIN = re.compile(r"(?:和|跟|与|同|及|、|还有|\s)+")
_PLACE_TIME = frozenset({"地点", "地址", "时间", "日期"})


def paired(text: str) -> tuple[str, ...]:
    """ "报名网址和咨询电话是多少" → ("报名网址是多少", "咨询电话是多少"); "确认地点和费用" → its fee; or ()."""
    listed = _LISTED.search(text)
    items = [] if listed is None else [i for i in _LIST_JOIN.split(listed["items"]) if i]
    named = [re.search(_VALUES, i) for i in items]
    if listed is None or len(items) < 2 or not {m.group(0) for m in named if m} - _PLACE_TIME:
        return ()
    ask = "是什么" if "发" in listed["ask"] else listed["ask"].removeprefix("分别").removeprefix("各")
    topic = items[0][: named[0].start()] if named[0] else ""  # "确认地点和费用": the fee of the confirmation
    return tuple((topic if m is not None and m.start() == 0 else "") + m.string + ask for m in named if m)


# A clause that asks what, where, when or how many.
WH = re.compile(
    r"哪|什么|(?<![十一二三四五六七八九好])几(?:[号天时月点次]|个(?![人月]))|多少|(?<![了过哒])好多|怎么|谁|么子|么时候|啥|咋"
    r"|多久|(?<![了过哒])好久"  # "参加了好多培训": many, "耽误了好久": long, asking nothing
)
BOTH_WAYS = A_NOT_A  # a yes/no question asked both ways ("要不要刷脸", "能不能用手机")
# A clause closed by a yes/no particle ("还来得及不", "能去吗").
YES_NO_END = re.compile(r"(?:吗|不|啵|没有?|冇|么|嘛|对吧|是吧|(?<=[要学搞去行够])吧)$")
# After the last question mark, what the asker tells of themselves ("…是305吧？我这个记性越来越差，怕记错哒").
# Or after a closing 吧/吗/啵 and a space or comma, a warning to oneself ("305对吧 别走错了").
_STORY = re.compile(
    r"(?:[?？]\s*|(?<=[吧吗啵])[\s，,]+(?=别|莫|免得|省得|怕|我怕))"
    r"(?P<tail>(?:我|俺|屋里|家里|老板|我们|工地|他|她|今天|明天|平时|够了我|那我|别|莫|免得|省得|怕)[^?？]*)$"
)
# "我不晓得是不是真的": the asker's doubt, asking nothing more.
_DOUBT = re.compile(r"^(?:我|俺)?(?:也|又|还)?(?:不晓得|不知道|不清楚|搞不清|不确定)")
_CLAUSE = re.compile(r"[\s,，。.!！~～、:：;；…]+")


def asks_plainly(clause: str) -> bool:
    """Whether a clause asks what, asks both ways or ends in a yes/no particle (a cue inside it, "冇人上班",
    is not enough)."""
    return bool(YES_NO_END.search(clause) or WH.search(clause) or BOTH_WAYS.search(clause))


def without_story(text: str) -> str:
    """``text`` without the asker's story told after the question, when no clause of it asks anything."""
    story = _STORY.search(text)
    clauses = [c for c in _CLAUSE.split(story["tail"]) if c and not _DOUBT.match(c)] if story else []
    if story is None or any(asks_plainly(clause) for clause in clauses):
        return text
    return text[: story.start("tail")].rstrip()


# A clause that only asks whether what came before is so ("…合格以后再交，我是想问下是不是咯样的").
SO_ASKED = re.compile(
    r"^[我俺]?(?:是|就是)?想?(?:问下|问一下|请问|确认下|确认一下)?(?:是不是|对不对|是否)?(?:这样|咯样|那样)"
    r"(?:的|子|回事)?(?:吧|吗|啵|呢|不|对吧|是吧)?\W*$"
)
SENT = re.compile(r"也(?:发|说|讲|告诉)(?:一)?下?(?:给我|我)?$")  # "网站是好多 电话也发下": that asked too
_INTRODUCED = re.compile(r"我是[^，,。？?]{1,12}$")
# One clause that only says a question follows ("同事托我问下，", "我想咨询一下："): it asks nothing itself.
_ASKING_FOR = re.compile(
    r"[^，,。？?！!\d]{0,16}?(?:问下|问一下|请教一下|咨询一下|咨询下|打听一下|打听下)[，,。：:\s]+"
)


def asking_pieces(pieces: list[str]) -> list[str]:
    """Pieces that ask nothing joined to the piece after them."""
    joined: list[str] = []
    carry = ""
    for piece in pieces:
        if asks_plainly(piece) or SENT.search(piece):
            joined.append(carry + piece)
            carry = ""
        elif not _INTRODUCED.match(piece):  # "我是资料员": who asks, nothing to answer
            carry += piece + " "
    if carry and joined:
        joined[-1] += " " + carry.strip()
    return joined or pieces


def without_asking_for(text: str, question: re.Pattern[str]) -> str:
    """``text`` without a first clause that only says a question follows, when what follows asks (``question``)
    and the clause tells no number: "我们项目部资料员小妹子托我问下，资料员也要搞吧" → "资料员也要搞吧"."""
    head = _ASKING_FOR.match(text)
    told = head is not None and re.search(r"\d|[一二两三四五六七八九十](?!下)", head.group())
    if head is None or told or not question.search(text[head.end() :]):
        return text
    return text[head.end() :]


def marked(parts: list[str], text: str) -> tuple[str, ...]:
    """The parts of ``text`` split at its question marks, each with its mark again: "今天开始了？" asks whether, as
    it would alone ("A还是B？" asks which, and keeps none)."""
    return tuple(
        p + "？" if re.search(re.escape(p) + "[?？]", text) and "还是" not in p else p for p in parts
    )
