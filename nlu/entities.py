"""Entity extraction: ID numbers and phones by regex, posts by lookup table, names next to an ID, dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from nlu.prefilter import needed_characters

Entity = dict[str, Any]

_ID = re.compile(r"(?<![0-9])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
_FULL_DATE = re.compile(r"(20\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_MONTH_DAY = re.compile(r"(?<![\d.])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
# Words around a name in "绑定 430… 张三" / "我叫张三 身份证…": removed before looking for the name itself.
_NAME_NOISE = re.compile(
    r"身份证号码|身份证号|身份证|证件号|号码|姓名|名字|绑定|綁定|帮定|邦定|帮我|我叫|我是|本人|叫做|是|的|和|为|请|一下"
)
_NAME = re.compile(r"[\u4e00-\u9fff]{1,4}(?:·[\u4e00-\u9fff]{1,6})?")
# A message that is only a person's name (2–4 Han characters, or a minority name with ·).
NAME_ONLY = re.compile(r"[\u4e00-\u9fff]{2,4}(?:·[\u4e00-\u9fff]{1,6})?")


def _entity(name: str, start: int, end: int, value: Any, extractor: str) -> Entity:
    return {"entity": name, "start": start, "end": end, "value": value, "extractor": extractor}


class RegexEntityExtractor:
    """ID numbers (value upper-cased) and mainland mobile numbers."""

    def extract(self, text: str) -> list[Entity]:
        found = [
            _entity("id_number", m.start(), m.end(), m.group(0).upper(), "RegexEntityExtractor")
            for m in _ID.finditer(text)
        ]
        found += [
            _entity("phone", m.start(), m.end(), m.group(0), "RegexEntityExtractor")
            for m in _PHONE.finditer(text)
        ]
        return found


# How pinyin input misspells the last character of a post: 资料元, 造价圆, 安全原 are 资料员 …
_SOUNDS_LIKE = {"员": "员元圆原园源缘援"}


def _sound_alike(value: str) -> str:
    return "".join(f"[{_SOUNDS_LIKE[ch]}]" if ch in _SOUNDS_LIKE else re.escape(ch) for ch in value)


def _plain(text: str) -> str:
    for ch, alikes in _SOUNDS_LIKE.items():
        text = re.sub(f"[{alikes}]", ch, text)
    return text


class LookupEntityExtractor:
    """Posts from the lookup table, longest match first, never overlapping; a post typed with a character
    that sounds like its last one (资料元) is that post."""

    def __init__(self, entity: str, values: Iterable[str]) -> None:
        self._entity = entity
        ordered = sorted({v for v in values if v}, key=len, reverse=True)
        self._canonical = {_plain(v): v for v in ordered}
        self._re = re.compile("|".join(_sound_alike(v) for v in ordered)) if ordered else None
        # the characters any match holds one of each set of (most messages name no post: not searched)
        self._needs = needed_characters(self._re.pattern) if self._re is not None else []

    def extract(self, text: str) -> list[Entity]:
        if self._re is None or any(chars.isdisjoint(text) for chars in self._needs):
            return []
        return [
            _entity(
                self._entity,
                m.start(),
                m.end(),
                self._canonical.get(_plain(m.group(0)), m.group(0)),
                "LookupEntityExtractor",
            )
            for m in self._re.finditer(text)
        ]


class DateEntityExtractor:
    """Dates written as 2023-11-27, 2023年11月27日 or 11月27日 (value ISO, ``--MM-DD`` without a year)."""

    def extract(self, text: str) -> list[Entity]:
        found = []
        taken: list[tuple[int, int]] = []
        for m in _FULL_DATE.finditer(text):
            y, mo, d = (int(g) for g in m.groups())
            if 1 <= mo <= 12 and 1 <= d <= 31:
                found.append(
                    _entity("date", m.start(), m.end(), f"{y:04d}-{mo:02d}-{d:02d}", "DateEntityExtractor")
                )
                taken.append(m.span())
        for m in _MONTH_DAY.finditer(text):
            if any(s <= m.start() < e for s, e in taken):
                continue
            mo, d = (int(g) for g in m.groups())
            if 1 <= mo <= 12 and 1 <= d <= 31:
                found.append(
                    _entity("date", m.start(), m.end(), f"--{mo:02d}-{d:02d}", "DateEntityExtractor")
                )
        return found


class NameExtractor:
    """A person's name given beside an ID number, as in "绑定 430602199001011237 张三"."""

    def extract(self, text: str, entities: list[Entity]) -> list[Entity]:
        ids = [e for e in entities if e["entity"] == "id_number"]
        if not ids:
            return []
        masked = list(text)
        for e in entities:
            masked[e["start"] : e["end"]] = [" "] * (e["end"] - e["start"])
        rest = _NAME_NOISE.sub(lambda m: " " * len(m.group(0)), "".join(masked))
        candidates = [m for m in _NAME.finditer(rest) if len(m.group(0).replace("·", "")) >= 2]
        if not candidates:
            return []
        m = candidates[-1]
        return [_entity("name", m.start(), m.end(), m.group(0), "NameExtractor")]
