"""Bring a phone-typed message to one canonical form: width, case, traditional characters, synonyms, courtesy."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from nlu.numerals import arabic_years
from nlu.wordlists import any_of

# Openers people wrap questions in; stripped only when a question remains, so "你好" alone is still a greeting.
_COURTESY = re.compile(
    r"^(?:(?:你好|您好|你们好|hello|hi|嗨|喂|在吗|在不在|老师|领导|师傅|美女|小姐姐|客服|机器人|"
    r"请问一下|请问|问一下|问下|麻烦问一下|麻烦问下|麻烦|打扰了|打扰一下|咨询一下|咨询下|想问一下|想问下|我想问一下|"
    r"我想问下|我想问|想问|我问一下|我问下|那个|就是|嗯|额|呃|哦)[\s,，。.!！?？~、]*)+"
)
_ID_NUMBER = re.compile(r"(?<![0-9])[1-9]\d{16}[\dx](?![0-9a-z])")
_PHONE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
_NOISE = re.compile(r"[^\w#]+")
_REPEAT = re.compile(r"(\D)\1{2,}")  # "好好好好" is 好好; "2000" stays 2000
_LONG_NUMBER = re.compile(r"\d{11}")  # in every ID number and phone number
# Sentence-final particles, Hunan ones included (撒, 咯, 啰, 噻): they carry tone, not meaning.
# 吗 typed as 马 (or 码 after a verb) by the pinyin input: "手机上可以学习马", "可以在电脑上学码"; not 二维码, 密码.
_MA_SLIP = re.compile(r"(?:(?<=[\u4e00-\u9fff])马|(?<=[学习以能去行])码)(?=\s|$)")
_PARTICLES = re.compile(r"[撒咯啰噻嘛呀啊吧哇哈嘞咧哦喔呐呢耶]+(?=\s|$)")

# The last texts each step saw, kept: the shaper, the classifier and the aspect reader fold the same message
# and its parts (a greeting, a clause) several times over.
_MEMO_SIZE = 32

ID_TOKEN = "#id#"
PHONE_TOKEN = "#tel#"


def phones_restored(folded: str, text: str) -> str:
    """``folded`` with the mobile numbers its fold hid (``PHONE_TOKEN``) put back from ``text``, in order: a
    claim about a number ("手机号是13762061109吧") is checked against the number."""
    if PHONE_TOKEN not in folded:
        return folded
    numbers = iter(_PHONE.findall(unicodedata.normalize("NFKC", text)))
    return re.sub(re.escape(PHONE_TOKEN), lambda _: next(numbers, PHONE_TOKEN), folded)


def traditional_table(path: Path) -> dict[int, str]:
    """Build a character table from an OpenCC ``TSCharacters.txt`` (traditional -> simplified)."""
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets:
            table[ord(source)] = targets.split()[0]
    return table


def opencc_traditional_table() -> dict[int, str]:
    """Load the traditional -> simplified table shipped with opencc-python-reimplemented."""
    import opencc  # only at model build time

    return traditional_table(Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt")


class Normalizer:
    """Canonicalize text before entity extraction and classification."""

    def __init__(self, traditional: Mapping[int, str], synonyms: Mapping[str, str]) -> None:
        self._traditional = dict(traditional)
        self._basic_memo: dict[str, str] = {}
        self._canonical_memo: dict[str, str] = {}
        cleaned = {self.basic(k): self.basic(v) for k, v in synonyms.items() if k.strip()}
        self._synonyms = {k: v for k, v in cleaned.items() if k and k != v}
        self._synonym_re: re.Pattern[str] | None = any_of(self._synonyms)

    def basic(self, text: str) -> str:
        """Fold width and case and convert traditional characters."""
        folded = self._basic_memo.get(text)
        if folded is None:
            # "二零二一年" is 2021年
            folded = arabic_years(unicodedata.normalize("NFKC", text).lower().translate(self._traditional))
            _kept(self._basic_memo, text, folded)
        return folded

    def __call__(self, text: str) -> str:
        """Return the canonical form used by the classifier."""
        return self.canonical(self.basic(text))

    def with_synonyms(self, text: str) -> str:
        """``text`` in basic form with the synonyms applied (确任 → 确认, 交钱 → 缴费), nothing else changed."""
        text = self.basic(text)
        if self._synonym_re is None:
            return text
        return self._synonym_re.sub(lambda m: self._synonyms[m.group(0)], text)

    def canonical(self, text: str) -> str:
        """Finish what ``basic`` began: tokens for IDs and phones, synonyms, noise, particles, courtesy."""
        canonical = self._canonical_memo.get(text)
        if canonical is None:
            canonical = self._canonical(text)
            _kept(self._canonical_memo, text, canonical)
        return canonical

    def _canonical(self, text: str) -> str:
        # Each substitution only where it can apply (most messages hold no long number, no tripled character):
        # a search that fails fast instead of a substitution tried at every position.
        if _LONG_NUMBER.search(text):
            text = _ID_NUMBER.sub(f" {ID_TOKEN} ", text)
            text = _PHONE.sub(f" {PHONE_TOKEN} ", text)
        if self._synonym_re is not None:
            text = self._synonym_re.sub(lambda m: self._synonyms[m.group(0)], text)
        if _REPEAT.search(text):
            text = _REPEAT.sub(r"\1\1", text)
        text = _NOISE.sub(" ", text).strip()
        if "马" in text or "码" in text:
            text = _MA_SLIP.sub("吗", text)
        text = _PARTICLES.sub("", text).strip() or text
        stripped = _COURTESY.sub("", text).strip()
        if len(stripped) >= 2:
            text = stripped
        return text


def _kept(memo: dict[str, str], text: str, value: str) -> None:
    """Keep ``value`` for ``text``, forgetting all the others when the memo is full (a new message came)."""
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[text] = value
