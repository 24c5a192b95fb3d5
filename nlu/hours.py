"""Hours a message states ("线上学了20学时，线下证明12个"), of one person or several, and hours asked to go
below or above a number."""

from __future__ import annotations

import re
from dataclasses import replace

from knowledge.reading import HoursMention
from nlu.numerals import DIGITS, SURNAMES, chinese_number, digit_by_digit

_NUMBER = r"\d+(?:\.\d+)?|[零一二两三四五六七八九十]{1,4}(?:个半|点[一二三四五六七八九])?"
_HAN_NUMBER = r"[零一二两三四五六七八九十]{1,4}(?:个半|点[一二三四五六七八九])?"
# A Chinese numeral right after 线上/线下 counts only before an hours word: "线上二十个", not "线上线下加在一起".
# "线上二十一线下三够啵": or before the other kind, or a word that asks or judges them.
_UNIT_AHEAD = (
    r"个|学时|小时|课时|学识|$|[\s，,。；;？?！!]|线上|线下|网上|证明|够|行|合格|算|刚好|正好|加起来|一共|总共|差|还|就|了"
    r"|啵|吧|吗|么|冇|没|哒|咯|哦|呢|撒|过|要得|可以|达标|下一步|然后|接下来|以后|之后|的话"
)
_UNIT = r"(?:个)?(?:学时|课时|学识|学分|小时|钟头|h\b)"
# A number with an hours unit, or right after an online/offline word ("线上20", "线下学了12").
# "N个" counts hours only when no noun follows it ("2个岗位") and an online/offline word says which kind.
_NOT_HOURS = (
    r"(?![\d年月日号元块天岗次遍份人期x倍%]|\.\d|证(?!明)|个(?:[岗人月天年次遍份期专工单公]|证(?!明)))"
)
_STATED = re.compile(
    rf"(?P<n>{_NUMBER})\s*(?P<unit>{_UNIT})"
    rf"|(?P<kind>线上|在线|网上|网课|线下|证明|自主|面授|手机上?|电脑上?|online|offline)\s?(?:(?!线上|在线|网上|线下|证明)[^\d，,。；;\s]){{0,4}}?(?P<m>\d+(?:\.\d+)?|{_HAN_NUMBER}(?={_UNIT_AHEAD})){_NOT_HOURS}"
    rf"|(?P<c>{_NUMBER})个(?!(?:[岗人月天年次遍份期专工单公]|证(?!明)))"
)
_ONLINE = re.compile(r"线上|在线|网上|网课|网络|平台|电脑|手机|online")
_OFFLINE = re.compile(
    r"线下|证明|自主|面授|上传|附件4|培训班|单位组织|公司培训|单位培训|企业培训|公司组织|企业组织|技术培训|学术|论坛|讲座"
    r"|研讨会|学校培训|学校组织|offline|(?<![宣流])传了"  # "传了十五个学时的证明": uploaded, so proven
)
_CLAUSE_END = re.compile(r"[，,。；;！!？?\s]|还|再|又|但|里面|其中|当中|包括|包含")
# 参加 joins nothing; "电脑上又学了7个": 又 or 还 right after where one studies keeps that place's kind
_CLAUSE = re.compile(r"[，,。；;！!？?\s]|(?<![上下脑机])[还又]|和|(?<!参)加|另|跟|再")
_NAMED = frozenset({"附件", "附表"})
_AGAIN = frozenset("那这")  # "那5个": hours already stated, pointed at
_A_THING = re.compile(r"个(?!学时|小时|课时|钟头|学分)")
# A number the rule sets ("其中线上不少于20学时"): the hours stated only when the message states no others.
# "一年32学时我是线上12线下20凑的": the yearly total the rule sets, named before the asker's own.
_MINIMUM = re.compile(
    r"(?:(?:不少于|不低于|至少|最少|最低|一年|每年|全年)\s*(?:要|是|共|总共|一共)?|(?<![还再])要(?:学|修)(?:满|够)?)\s*$"
)
# "线上线下各20学时", "线上和线下都是16": the same number for each kind.
_EACH = re.compile(
    r"(?:线上|网上|在线)(?:和|跟|与|、|加)?(?:线下|证明)(?:学时)?(?:都|各)(?:是|有|学了?)?(\d+(?:\.\d+)?)"
)
# "就差1个线上", "还缺2学时": hours missing, not hours done.
_MISSING = re.compile(r"(?:差|缺|(?<![至最多])少)(?:了)?\s*$")
# "线上14线下18加起来刚好32": the sum of the hours stated, counted only when no others are.
_TOTAL = re.compile(
    r"(?:刚好|正好|一共|总共|共计|合计|加起来|合起来|总计|算不算|能不能算|能算|可以算|是不是|共)(?:是|有|就|就是)?\s*$"
)
# "十一月学了14个": studied (online), right before the number.
_STUDIED = re.compile(r"(?:学|刷|上|补)了?\s*$")
# "证明两张，一张8学时一张6学时": proofs counted one by one keep the kind named before them.
_ONE_BY_ONE = re.compile(r"[一二两三\d][张份个]\s*$")
# "两个证明", "传了三个证明": so many proofs, not hours.
_PROOF_COUNT = re.compile(r"个(?:线下|线上)?(?:的)?证明")
# "是不是还要在线上学12学时": hours claimed still missing, not hours done.
_CLAIMED_MISSING = re.compile(
    r"是不是还(?:要|得|需要)(?:在|再)?(?:线上|网上|线下)?(?:再)?(?:学|补|修)?(?:个)?\s*$"
)
# "是不是还要把线上补到32": the hours to reach, not hours done.
_TARGET = re.compile(r"(?:补|凑)(?:到|够|满|齐)\s*$")
# "线上一个都冇学": none of that kind.
_NONE = re.compile(
    r"(?P<kind>线上|网上|在线|线下|证明)[^，,。；;\s\d]{0,4}?(?:一个|一点|一节|一个学时)?(?:都|也)(?:冇|没|没有|还没)(?:学|传|搞|上传|有|参加)"
)
# "线上已经27了 冇得证明 再学5个": more hours of the kind last stated.
_BARE_MINIMUM = re.compile(r"(?:最少|至少|不少于|不低于|最低)(?:要|是|得)?\s*(\d{1,3})(?![\d.])")
_AGAIN_STUDIED = re.compile(r"(?:再|又|还)(?:学|刷|上|搞|补)(?:了)?\s*$")
# "证明三张 每张4个学时": so many proofs of so many hours each.
_PER_SHEET = re.compile(
    rf"({_HAN_NUMBER}|\d+)\s*[张份]\s*[，,\s]*每(?:张|份)(?:是|有)?\s*({_HAN_NUMBER}|\d+)"
)
_SPACED = re.compile(r"[\s，,]")  # a gap between the kind word and "再学5个"
# "朋友线上25线下8 我也是线上25线下8": the same hours said again of oneself.
_SAME = re.compile(r"也是|我也|一样")
# "去年线上学了32，今年…": hours of another year are not this year's.
_PAST = re.compile(r"(?:去年|前年|(?<![线网])上一?年|往年)[^，,。；;！!？?\s]{0,8}$")


# "上18下14够吗", "上二五下十二": 线上 and 线下 said by their first characters ("二五" read digit by digit: 25).
_SHORTHAND = re.compile(
    rf"(?<![线网在机脑马早晚以之楼身路面台学考爬赶跟看加往])上\s*({_NUMBER})\s*[，,、]?\s*下\s*({_NUMBER})"
)


# "32个学时我完成了四分之三", "线上只学了32的一半": a part of the hours named, done.
_FRACTION = re.compile(
    rf"(?P<base>{_NUMBER})\s*(?:个)?(?:学时|小时|课时)?(?:的)?"
    r"(?P<done>(?:我)?(?:已经|才|只)?(?:完成|学|刷|搞|修)?(?:了|哒|完|好)?(?:的)?)"
    r"(?P<part>一半|[一二三四五六七八九十]分之[一二三四五六七八九十])"
)


def _part_done(m: re.Match[str]) -> str:
    """ "32个学时我完成了四分之三" → "我完成了24学时"."""
    base, part = chinese_number(m.group("base")), m.group("part")
    whole, _, some = part.partition("分之")  # 四分之三: three of four
    share = 0.5 if part == "一半" else _share(chinese_number(some), chinese_number(whole))
    if base is None or share is None:
        return m.group(0)
    return f"{m.group('done')}{base * share:g}学时"


def _share(some: float | None, whole: float | None) -> float | None:
    return some / whole if whole and some is not None and some <= whole else None


def _spelled_out(m: re.Match[str]) -> str:
    online, offline = (_shorthand_number(m.group(n)) for n in (1, 2))
    return m.group(0) if online is None or offline is None else f"线上{online:g}线下{offline:g}"


def _shorthand_number(said: str) -> float | None:
    value = chinese_number(said)
    if value is None and len(said) == 2 and all(c in "一二三四五六七八九" for c in said):
        value = float(digit_by_digit(said))
    return value


def _kind(text: str, start: int, end: int) -> str | None:
    """The kind of hours a number stands for: the nearest online/offline word in its clause."""
    before = text[max(0, start - 12) : start].rstrip()  # "线下参加公司安全培训14个学时", "附件4 12小时"
    cut = max((m.end() for m in _CLAUSE.finditer(before)), default=0)
    clause = before[cut:] if cut < len(before) else ""
    # "32学时，其中线上…", "学满32学时还要上传线下证明吗": 线上 and 线下 are the next clause's.
    after = _CLAUSE_END.split(text[end : end + 6], 1)[0]
    for source in (clause, after):
        kind = _last_kind(source)
        if kind is not None:
            return kind
    return None


def _sheets(m: re.Match[str]) -> str:
    """ "三张 每张4" → "证明12": the hours of all the proofs."""
    sheets, each = chinese_number(m.group(1)), chinese_number(m.group(2))
    return m.group(0) if sheets is None or each is None else f"证明{sheets * each:g}"


def _last_kind(text: str) -> str | None:
    """The kind the last online/offline word of ``text`` names, or None."""
    online = max((m.end() for m in _ONLINE.finditer(text)), default=-1)
    offline = max((m.end() for m in _OFFLINE.finditer(text)), default=-1)
    if online == offline:
        return None
    return "online" if online > offline else "offline"


def read_hours(text: str) -> HoursMention | None:
    """The hours ``text`` states, or None when it states none; with those of each person when it names
    several, each before their hours ("小刘线上32，老周线上20线下12")."""
    hours = _read_hours(text)
    each = _read_each(text) if hours is not None and _PERSON.search(text) else ()
    return replace(hours, each=each) if each and hours is not None else hours


def _read_hours(text: str) -> HoursMention | None:
    # 廿 20, 卅 30; "现上", "现下": 线上, 线下 typed with a slip
    text = (
        text.replace("廿", "二十")
        .replace("卅", "三十")
        .replace("现上", "线上")
        .replace("现下", "线下")
        .replace("再线", "在线")
    )
    text = _PER_SHEET.sub(_sheets, text)
    text = _SHORTHAND.sub(_spelled_out, text) if "下" in text else text
    text = _FRACTION.sub(_part_done, text) if "分之" in text or "一半" in text else text
    if DIGITS.isdisjoint(text):
        return None
    each = _EACH.search(text)
    if each is not None:  # "线上线下各20学时": both kinds that many
        both = float(each.group(1))
        return HoursMention(both, both, None, (("online", both), ("offline", both)))
    stated: list[tuple[str, float]] = [
        ("offline" if _OFFLINE.match(m.group("kind")) else "online", 0.0) for m in _NONE.finditer(text)
    ]
    minimums: list[tuple[str, float]] = []
    anchor = 0  # where the last number of a kind named with it ends
    for m in _STATED.finditer(text):
        group = next(g for g in ("n", "m", "c") if m.group(g))  # the number's own group
        number = m.group(group)
        start, end = m.span(group)
        if text[max(0, start - 2) : start] in _NAMED:
            continue  # "学时证明就是附件4那个吧": an attachment's number
        if (
            number == "一"
            and _A_THING.match(text, end)
            and not _AGAIN_STUDIED.search(text, max(0, start - 4), start)
        ):
            continue  # "参加了一个线上的讲座": 一个 is "a", not one hour ("再学一个" is)
        value = chinese_number(number)
        if value is None or value > 200:
            continue
        # "证明 一个6个一个7个": proofs one by one keep the kind last named before them
        one_by_one = _ONE_BY_ONE.search(text, max(0, start - 3), start) is not None
        if m.group("kind"):
            kind = "offline" if _OFFLINE.match(m.group("kind")) else "online"
        elif m.group("c"):
            if value <= 4 and _PROOF_COUNT.match(text, end):
                continue  # "两个线下证明": how many proofs
            found_kind = _kind(text, m.start(), m.end())
            if found_kind is None and one_by_one:
                found_kind = _last_kind(text[anchor:start])
            if (
                found_kind is None
                and stated
                and stated[-1][0] == "online"
                and _STUDIED.search(text, 0, start)
            ):
                found_kind = "online"  # "十月线上学了6个 十一月学了14个": studied again, online as before
            if found_kind is None and "学时" in text[max(0, start - 10) : start]:
                found_kind = "unspecified"  # "每年要学的学时是不是24个": hours of no kind
            if found_kind is None:
                continue  # "差2个": no word says these are hours of one kind
            kind = found_kind
        else:
            kind = _kind(text, m.start(), m.end()) or "unspecified"
            if kind == "unspecified" and one_by_one:
                kind = _last_kind(text[anchor:start]) or kind
            elif (
                kind == "unspecified"
                and stated
                and all(k != "offline" for k, _ in stated)
                and _last_kind(text[anchor:start]) == "offline"
                and _TOTAL.search(text, max(0, start - 6), start) is None
            ):
                kind = (
                    "offline"  # "线上22 线下证明盖了章 上面写的14学时": the proof named since the last hours
                )
        if stated and _AGAIN_STUDIED.search(text, max(0, start - 4), start) and _SPACED.search(m.group(0)):
            kind = stated[-1][0]  # "冇得证明 再学5个": more of what was stated last, not of the word before
        if kind != "unspecified" and not one_by_one:
            anchor = end
        if (
            _MISSING.search(text, max(0, start - 3), start)
            or _CLAIMED_MISSING.search(text, max(0, start - 12), start)
            or _TARGET.search(text, max(0, start - 3), start)
        ):
            continue
        if text[start - 1 : start] in _AGAIN and (kind, value) in stated:
            continue  # "线下还有5个，那5个的证明要不要传": the same hours named again
        if _PAST.search(text, max(0, start - 12), start) is not None:
            continue
        minimum = _MINIMUM.search(text, max(0, start - 8), start) is not None or (
            (kind == "unspecified" or any(k == kind for k, _ in stated))
            and _TOTAL.search(text, max(0, start - 6), start) is not None
        )
        (minimums if minimum else stated).append((kind, value))
    bare = None if stated or minimums else _BARE_MINIMUM.search(text)
    if bare is not None:  # "线上的学时是不是最少20": the least of the kind named before it
        minimums.append((_last_kind(text[: bare.start()]) or "unspecified", float(bare.group(1))))
    parts = stated or minimums
    if not parts:
        return None
    if _SAME.search(text):
        parts = list(dict.fromkeys(parts))
    # "线下么子都冇参加…学满32学时": no offline hours at all, so the hours of no kind named are online
    if ("offline", 0.0) in parts and all(k != "online" for k, _ in parts):
        parts = [("online" if k == "unspecified" else k, v) for k, v in parts]
    found: dict[str, float] = {}
    for kind, value in parts:
        found[kind] = found.get(kind, 0.0) + value
    return HoursMention(found.get("online"), found.get("offline"), found.get("unspecified"), tuple(parts))


# Who each of several people is, before their hours ("小刘线上32，老周线上20线下12", "一个线上32 一个线上20线下12").
_PERSON = re.compile(
    rf"(?:(?:小|老)[\u4e00-\u9fff]|[{SURNAMES}][三四五六]"
    r"|(?<![\u4e00-\u9fff])[张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖][\u4e00-\u9fff]{1,2}"
    r"|(?:另|还有)?一个|第[一二三四五六]个|[甲乙丙丁])(?=[\s:：]?(?:线上|网上|在线|线下|学了|手机|电脑))"
)
_ANY_ONE = re.compile(r"(?:另|还有)?一个")


def _read_each(text: str) -> tuple[tuple[str, HoursMention], ...]:
    """The hours of each of several people a message names, each after who it is; none for one person."""
    marks = list(_PERSON.finditer(text))
    if len(marks) < 2:
        return ()
    found = []
    for n, m in enumerate(marks):
        hours = _read_hours(text[m.end() : marks[n + 1].start() if n + 1 < len(marks) else len(text)])
        if hours is None:
            return ()
        found.append((f"第{n + 1}个" if _ANY_ONE.fullmatch(m.group(0)) else m.group(0), hours))
    return tuple(found)


# "线上学时能不能少于20", "总学时可以低于32吗": hours of a kind asked to go below a number;
# "线上学时可以超过20个吗", "超过20的部分算不算进32里": asked to go above one, or counted above it.
_KIND = r"(?:(?P<kind>线上|网上|在线|网课|线下|总|一共|全部|每年|全年)[^，,。？?]{0,8}?)?"
_BELOW = re.compile(
    _KIND
    + r"(?:(?<!不)(?:少于|低于|少过|小于)|不到|不足|不够|不满|没满|冇满|未满|没有满|没学满|冇学满)\s*(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3}(?=个|学时|的话))"
)
_MORE = r"(?:超过|多于|超出|多过|大于|高于|多出)\s*"
_ABOVE = re.compile(
    _KIND
    + r"(?:(?:可以|能|能不能|可不可以|允许|准|能否)(?:学)?"  # "线上学时可以超过20个吗"
    + _MORE
    + r"(?P<n2>\d{1,3})|"
    + _MORE  # "线上超过20的部分算不算进32里"
    + r"(?P<n3>\d{1,3})[^，,。？?]{0,10}?(?:算不算|算吗|能算|能不能算|可以算|计入|算进|算到|也算|算在))"
)


def read_bound(text: str) -> tuple[str, float, bool] | None:
    """The kind of hours ``text`` asks to go below or above a number, the number and whether it is above,
    or None: "线上学时能不能少于20" is ("online", 20, False), "线上学时可以超过20个吗" ("online", 20, True);
    a number with no kind named is the year's total ("unspecified")."""
    m = _BELOW.search(text) if any(c in text for c in "于不少满") else None
    above = m is None and any(w in text for w in ("超", "多", "大于", "高于"))
    m = _ABOVE.search(text) if above else m
    if m is None:
        return None
    kind = m.group("kind") or ""
    named = "offline" if _OFFLINE.match(kind) else "online" if _ONLINE.match(kind) else "unspecified"
    number = chinese_number(m.group("n2") or m.group("n3") if above else m.group("n"))
    return None if number is None else (named, number, above)
