"""A notice's text made regular: one paragraph per line, its sentences, the heading each falls under."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CJK = r"\u3400-\u9fff"
_CJK_PUNCT = "，。、；：？！（）“”‘’《》【】〔〕—…·"
_WIDE = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        "\u3000": " ",
        "\xa0": " ",
        "\t": " ",
        "．": ".",
        "－": "-",
        "／": "/",
    }
)
_NEAR = f"[{CJK}{_CJK_PUNCT}]"
_SPACE_LEFT = re.compile(rf"(?<={_NEAR})[ ]+(?=[{CJK}{_CJK_PUNCT}0-9A-Za-z])")
_SPACE_RIGHT = re.compile(rf"(?<=[0-9A-Za-z])[ ]+(?={_NEAR})")
_PARENS = re.compile(r"\(([^()]*)\)")
_ASCII_MARKS = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_MARK = re.compile(r"[,:;?!]")
HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|\d{1,2}[.、](?!\d)|[（(][一二三四五六七八九十\d]{1,2}[）)]|附件\s*\d)"
)
_TERMINAL = "。！？；："
_PROSE_MARKS = re.compile(r"[，、；,]")
TABLE_SEPARATOR = " | "


def regular(line: str) -> str:
    """Write a line the one way the rules expect: ASCII digits, no stray spaces, Chinese punctuation."""
    line = line.translate(_WIDE).strip()
    line = re.sub(r" {2,}", " ", line)
    line = _SPACE_RIGHT.sub("", _SPACE_LEFT.sub("", line))
    line = _PARENS.sub(_wide_parens, line)
    line = _SPACE_RIGHT.sub("", _SPACE_LEFT.sub("", line))
    return _MARK.sub(lambda m: _wide_mark(line, m), line)


def _wide_parens(match: re.Match[str]) -> str:
    inner = match.group(1)
    before = match.string[match.start() - 1 : match.start()]
    if re.search(f"[{CJK}]", inner) or re.fullmatch(_NEAR, before or "x"):
        return f"（{inner}）"
    return match.group(0)


def _wide_mark(line: str, match: re.Match[str]) -> str:
    before = line[match.start() - 1 : match.start()]
    after = line[match.end() : match.end() + 1]
    mark = match.group(0)
    at_end = not after and re.search(f"[{CJK}]", line) is not None
    if at_end or any(re.fullmatch(_NEAR, ch) for ch in (before, after) if ch):
        return _ASCII_MARKS[mark]
    return mark


def _ends_paragraph(line: str) -> bool:
    if line[-1] in _TERMINAL:
        return True
    return len(line) > 1 and line[-1] in "）)”" and line[-2] in "。！？"


def paragraphs(lines: Iterable[str]) -> list[str]:
    """Join lines that a page width or a stray line break cut in the middle of a sentence."""
    kept = [regular(line) for line in lines]
    kept = [line for line in kept if line]
    width = max((len(line) for line in kept if TABLE_SEPARATOR not in line), default=0)
    joined: list[str] = []
    last = ""  # the previous physical line: whether it was cut is judged on it, not on the paragraph
    for line in kept:
        if joined and _continues(last, line, width):
            joined[-1] += line
        else:
            joined.append(line)
        last = line
    return joined


def _continues(previous: str, line: str, width: int) -> bool:
    if _ends_paragraph(previous) or HEADING.match(line) or TABLE_SEPARATOR in previous + line:
        return False
    body = HEADING.sub("", previous)
    prose = len(previous) >= 12 and _PROSE_MARKS.search(body) is not None
    wrapped = width >= 20 and len(previous) >= 0.8 * width
    return prose or wrapped


@dataclass(frozen=True)
class Sentence:
    """One sentence of the notice, with the heading it falls under (e.g. 三、继续教育资格确认)."""

    index: int
    text: str
    heading: str


def split_sentences(paragraph: str) -> list[str]:
    """Split after 。！？ outside brackets; a bracketed aside stays with its sentence."""
    parts, start, depth = [], 0, 0
    for i, ch in enumerate(paragraph):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
            if depth == 0 and i and paragraph[i - 1] in "。！？":  # an aside that is a sentence of its own
                parts.append(paragraph[start : i + 1])
                start = i + 1
        elif ch in "。！？" and depth == 0:
            parts.append(paragraph[start : i + 1])
            start = i + 1
    parts.append(paragraph[start:])
    return [p.strip() for p in parts if p.strip()]


def sentences(lines: Iterable[str]) -> list[Sentence]:
    """The notice as sentences, in order, each under its latest heading line."""
    found: list[Sentence] = []
    heading = ""
    for paragraph in paragraphs(lines):
        if HEADING.match(paragraph) and len(paragraph) <= 30 and paragraph[-1] not in "。；":
            heading = paragraph
        for text in split_sentences(paragraph):
            found.append(Sentence(len(found), text, heading))
    return found
