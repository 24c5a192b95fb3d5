"""Numbers and counts said in words: Chinese numerals, amounts of money, days, years and rooms written in
digits, the years a certificate was obtained, and how many people a message counts or names."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

_NUMERALS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
DIGITS = frozenset("0123456789零一二两三四五六七八九十")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d|\d\d)\s*(?:年|[.\-/](?=\d{1,2}[.\-/月]))")
# Surnames a person is called by ("老李", "小王", "张三").
SURNAMES = (
    "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
_NAMED_PERSON = re.compile(rf"(?:小|老)[{SURNAMES}]")


def chinese_number(text: str) -> float | None:
    """Read 20, 7.5, 二十, 三十二, 十二, 两 or 十个半; None when it is not a number."""
    half = 0.5 if text.endswith("个半") else 0.0
    text, _, tenth = text.removesuffix("个半").partition("点")  # "十九点五" is 19.5
    half += _NUMERALS.get(tenth, 0) / 10
    try:
        return float(text) + half
    except ValueError:
        pass
    if not text or any(ch not in _NUMERALS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return float(_NUMERALS[text]) + half if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    value = (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0)
    return float(value) + half


# "两百块一个人", "八十元": an amount of money in Chinese numerals, read as digits where a claim is checked.
_HAN_MONEY = re.compile(
    r"(?<![\d零一二两三四五六七八九十百])([一二两三四五六七八九]百(?:[一二三四五六七八九]十?|零[一二三四五六七八九])?"
    r"|[二三四五六七八九]?十[一二三四五六七八九]?)(?=\s*(?:元|块|快|一个人|一人|每人|个人))"
)


# "是不是交九百": hundreds right after a word of paying are money too.
_PAID_HAN = re.compile(
    r"(?<=[交缴付收])([一二两三四五六七八九]百(?:[一二三四五六七八九]十?|零[一二三四五六七八九])?)"
)


# "十个人是不是交一千": a round thousand after a word of paying, or before a unit of money.
_THOUSANDS = re.compile(
    r"(?:(?<=[交缴付收])|(?<=一共|总共))([一二两三四五六七八九])千(?=$|[块元快吗吧啵不？?，,\s])"
)


def arabic_money(text: str) -> str:
    """``text`` with amounts of money in Chinese numerals written in digits ("两百块" → "200块")."""
    text = _THOUSANDS.sub(lambda m: str(_NUMERALS[m.group(1)] * 1000), text) if "千" in text else text
    if "百" not in text and "十" not in text:
        return text

    def digits(m: re.Match[str]) -> str:
        words = m.group(1)
        if "百" not in words:
            value = chinese_number(words)
            return m.group(0) if value is None else str(int(value))
        hundreds, _, rest = words.partition("百")
        value = _NUMERALS[hundreds] * 100
        rest = rest.removeprefix("零")
        if rest:
            tens = chinese_number(rest if rest.endswith("十") or len(rest) > 1 else rest + "十")
            value += int(tens or 0) if "零" not in words else _NUMERALS[rest]
        return str(value)

    return _PAID_HAN.sub(digits, _HAN_MONEY.sub(digits, text))


# "十二月三十一号", "一号到五号", "岳阳大道六十三号": days, months and numbers of a street in Chinese numerals.
_HAN_DAY = re.compile(
    r"(?<![\d零一二两三四五六七八九十百第])([一二三四五六七八九十]{1,3})(?=\s*(?:月|号|日(?!子|常|期)|(?:到|至|-|—|~)\s*[一二三四五六七八九十\d]{1,3}\s*[号日]))"
)

# "二零二一年", and "二二年" (22年) said as two digits
_HAN_YEAR = re.compile(
    r"([零〇一二三四五六七八九]{4}|(?<![零〇一二三四五六七八九十两])[一二][零〇一二三四五六七八九])(?=\s*年(?!级))"
)


def arabic_days(text: str) -> str:
    """``text`` with the numbers of a month, a day or a street in Chinese numerals written in digits."""

    def digits(m: re.Match[str]) -> str:
        value = chinese_number(m.group(1))
        return m.group(0) if value is None or not 1 <= value < 100 else str(int(value))

    return _HAN_DAY.sub(digits, text) if DIGITS.intersection(text) else text


# "三零六室": a room said digit by digit
_HAN_ROOM = re.compile(r"(?<![零〇一二三四五六七八九十])([零〇一二三四五六七八九]{3})(?=\s*(?:室|房间|号房))")


def arabic_years(text: str) -> str:
    """``text`` with a year or a room in Chinese numerals written in digits ("二零二一年拿的证" → "2021年拿的证",
    "三零六室" → "306室")."""

    def digits(m: re.Match[str]) -> str:
        return digit_by_digit(m.group(1))

    if "年" in text:
        text = _HAN_YEAR.sub(digits, text)
    return _HAN_ROOM.sub(digits, text) if "室" in text or "房" in text else text


def digit_by_digit(said: str) -> str:
    """Chinese numerals read one digit each, as a room, a year or "上二五" says them ("三零六" → "306")."""
    return "".join(str(_NUMERALS.get(c, 0)) for c in said)


def read_years(text: str, today: dt.date) -> tuple[int, ...]:
    """Years named in ``text`` ("2022年", "22年"), two-digit years read in today's century."""
    years = []
    for m in _YEAR.finditer(text):
        value = int(m.group(1))
        if value < 100:
            value += today.year // 100 * 100
        if 1980 <= value <= today.year + 1:
            years.append(value)
    return tuple(years)


_YEAR_TAIL = 4  # characters after a certificate's year that may still belong to its date


def certificate_years(text: str, said: Iterable[re.Pattern[str]], today: dt.date) -> tuple[int, ...]:
    """The years ``text`` says a certificate was obtained in, read only where ``said`` finds it saying so:
    "今年是2023年的继续教育，我2021年拿的证" names 2021; "发证日期2023.05.12" (the date goes on after the
    words that say it) names 2023."""
    spans = [text[m.start() : m.end() + _YEAR_TAIL] for pattern in said for m in pattern.finditer(text)]
    return read_years(" ".join(spans), today) if spans else ()


_WITH_ME = re.compile(r"(?:我|我们)(?:跟|和|与|带|加)\s*$")
_PEOPLE = re.compile(
    r"(?<![\d几好多数两俩二三四五六七八九十])(\d{1,4}|[两俩二三四五六七八九十]{1,3})\s*(?:个|名|位)?\s*(?:人|工人|员工|同事|学员|师傅|兄弟)(?![员])"
)


def _named(text: str) -> list[str]:
    """The people ``text`` names by name ("老李", "小王"), each once."""
    return list(dict.fromkeys(_NAMED_PERSON.findall(text)))


def people_named(text: str) -> str:
    """The people ``text`` names by name when it names several ("老李老张"), else ""."""
    named = _named(text)
    return "".join(named) if len(named) > 1 else ""


def read_people(text: str) -> int | None:
    """How many people ``text`` counts ("40个工人", "两个人", "老李老张"), or None; one person is no count."""
    found = list(_PEOPLE.finditer(text))
    # "我跟两个同事，三个人一共…": the people counted as such; "我跟两个同事" are three
    m = next((p for p in found if p.group(0).endswith("人")), found[0] if found else None)
    if m is None:
        named = len(_named(text))  # "我们公司老李老张…学费一起交好多"
        return named if named > 1 else None
    value = chinese_number(m.group(1).replace("俩", "两"))
    if value is None:
        return None
    me = not m.group(0).endswith("人") and _WITH_ME.search(text, 0, m.start()) is not None
    count = int(value) + me
    return count if count > 1 else None
