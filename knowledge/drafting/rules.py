"""Rules that read each fact of the campaign model out of a notice's sentences: patterns, no model.

Every rule returns the facts it found, each with the sentence it came from. A rule that finds nothing
returns nothing: the fact is then kept from the base campaign and marked for review.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from knowledge.drafting.text import CJK, TABLE_SEPARATOR, Sentence

Facts = dict[str, "Found"]


@dataclass(frozen=True)
class Found:
    """A fact's value as the notice states it, and the sentence that states it."""

    value: Any
    sentence: str


class Notice:
    """The sentences of a notice, searched by pattern."""

    def __init__(self, sentences: Iterable[Sentence]) -> None:
        self.sentences = [_as_pair(s) for s in sentences if s.text.count(TABLE_SEPARATOR) <= 1]

    def find(
        self, pattern: str, *, within: str | None = None, under: str | None = None
    ) -> tuple[re.Match[str], str] | None:
        """The first match of ``pattern`` in a sentence containing ``within``, under a heading matching ``under``."""
        regex = re.compile(pattern)
        for sentence in self.sentences:
            if within is not None and not re.search(within, sentence.text):
                continue
            if under is not None and not re.search(under, sentence.heading):
                continue
            match = regex.search(sentence.text)
            if match:
                return match, sentence.text
        return None

    def find_any(self, pattern: str, **where: str) -> tuple[re.Match[str], str] | None:
        """Like ``find``, preferring sentences that satisfy ``where``, then any sentence."""
        return self.find(pattern, **where) or self.find(pattern)


def _as_pair(sentence: Sentence) -> Sentence:
    """A two-cell table row (咨询电话 | 钟女士 0730-…) reads as the sentence 咨询电话：钟女士 0730-…."""
    key, sep, value = sentence.text.partition(TABLE_SEPARATOR)
    if not sep:
        return sentence
    return Sentence(sentence.index, f"{key.rstrip('：:')}：{value}", sentence.heading)


def number(text: str) -> int | float:
    """12 → 12, 7.5 → 7.5."""
    value = float(text)
    return int(value) if value.is_integer() else value


def _meta(notice: Notice) -> Facts:
    facts: Facts = {}
    if hit := notice.find(r"^(.{2,30}?)文件$"):
        facts["campaign.issuer"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(rf"^[{CJK}]{{2,8}}[〔【\[［]\d{{4}}[〕】\]］]\d+号$"):
        facts["campaign.document_no"] = Found(hit[0].group(0), hit[1])
    if hit := notice.find(r"^关于(?:组织开展|开展|做好|组织)?(.+?)(?:工作)?的通知$"):
        facts["campaign.title"] = Found(hit[0].group(1), hit[1])
        if year := re.search(r"(\d{4})年度", hit[0].group(1)):
            facts["campaign.year"] = Found(int(year.group(1)), hit[1])
    if hit := notice.find(r"^(?:根据|按照|依据).*(?:文件精神|工作安排|部署)"):
        # The documents it names; none ("按照…有关文件精神") is an empty list, not last year's.
        documents = re.findall(r"(?:^(?:根据|按照|依据)|、)([^、《。]*《[^》]+》[（(][^）)]+[）)])", hit[1])
        facts["campaign.basis"] = Found(tuple(documents), hit[1])
    # The list of attachments after the signature ("附件 1：…线上培训流程。"), each once, in order.
    attachments: dict[int, tuple[str, str]] = {}
    for sentence in notice.sentences:
        if m := re.match(r"^附件\s*(\d+)\s*[：:]\s*(\S[^。]*?)。?$", sentence.text):
            attachments.setdefault(int(m.group(1)), (m.group(2), sentence.text))
    if attachments:
        titles = tuple(f"附件{n}《{title}》" for n, (title, _) in sorted(attachments.items()))
        facts["campaign.attachments"] = Found(titles, attachments[min(attachments)][1])
    if hit := notice.find(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"):
        facts["campaign.issued_on"] = Found(dt.date(*map(int, hit[0].groups())), hit[1])
        if "campaign.issuer" not in facts:  # no "…文件" header: the signature above the date
            texts = [s.text for s in notice.sentences]
            above = texts[texts.index(hit[1]) - 1] if texts.index(hit[1]) > 0 else ""
            if re.fullmatch(rf"[{CJK}]{{2,30}}(?:协会|局|中心|委员会|厅)", above):
                facts["campaign.issuer"] = Found(above, above)
    return facts


_DATE_RANGE = r"(\d{4})年(\d{1,2})月(\d{1,2})日起?(?:至|到|—|-|~|～)(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日"


def _period(notice: Notice) -> Facts:
    hit = notice.find_any(_DATE_RANGE, within="定于|时间|开展|期间|截止")
    if hit is None:
        return {}
    year, month, day, end_year, end_month, end_day = hit[0].groups()
    start = dt.date(int(year), int(month), int(day))
    end = dt.date(int(end_year or year), int(end_month), int(end_day))
    return {"period.start": Found(start, hit[1]), "period.end": Found(end, hit[1])}


def _audience(notice: Notice) -> Facts:
    hit = notice.find(r"对象[：:]\s*(.+?)。?$") or notice.find(
        r"^(?!继续教育岗位|岗位)(.+人员)。?$", under="对象"
    )
    if hit is None:
        return {}
    text = hit[0].group(1)
    short = notice.find(r"以下简称[“\"]([^“”\"]+)[”\"]")
    if short and text.endswith("人员") and not text.endswith(short[0].group(1)):
        text = text[: -len("人员")] + "的" + short[0].group(1)
    return {"audience": Found(text, hit[1])}


def _posts(notice: Notice) -> Facts:
    hit = notice.find(r"岗位[：:](.+?)。?$", within="员")
    if hit is None:
        return {}
    listed = re.split(r"[、，,；;/]", re.sub(r"等$", "", hit[0].group(1)))
    posts = tuple(p.strip() for p in listed if p.strip())
    return {"posts": Found(posts, hit[1])}


def _hours(notice: Notice) -> Facts:
    facts: Facts = {}
    rules = {
        "hours.yearly": r"每年[^。]{0,10}?不少于(\d+(?:\.\d+)?)学时",
        "hours.online_min": r"(?:线上|在线|网络)[^，。；]{0,8}?不少于(\d+(?:\.\d+)?)学时",
        "hours.offline_proof_min": r"(?:证明|线下)[^，。；]{0,10}?不少于(\d+(?:\.\d+)?)学时",
    }
    for path, pattern in rules.items():
        if hit := notice.find(pattern):
            facts[path] = Found(number(hit[0].group(1)), hit[1])
    if hit := notice.find(r"从(取得.+?次年起)"):
        facts["hours.from"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"[，,]([\u4e00-\u9fff]{2,8}?)(?:进行)?(?:培训)?审核确认"):
        facts["qualification.audit_by"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"^[（(](.+?)。?[）)]$", within="证书.*更新|更新.*证书"):
        facts["qualification.certificate_update"] = Found(hit[0].group(1), hit[1])
    return facts


def hours_routes(notice: Notice) -> dict[str, Found]:
    """The two ways to qualify as the attachment states them: online + proof, and online only."""
    routes: dict[str, Found] = {}
    if hit := notice.find(r"在线学习不少于(\d+(?:\.\d+)?)学时[+＋]"):
        routes["hours.online_min"] = Found(number(hit[0].group(1)), hit[1])
    if hit := notice.find(r"在线学习满?(\d+(?:\.\d+)?)学时[，。,]"):
        routes["hours.yearly"] = Found(number(hit[0].group(1)), hit[1])
    return routes


def _offline(notice: Notice) -> Facts:
    facts: Facts = {}
    if hit := notice.find(r"自主参加(.+?线下培训)"):
        facts["offline.kinds"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"证明[^。]{0,6}?附件(\d+)"):
        n = hit[0].group(1)
        title = notice.find(rf"^附件{n}[：:](.+?)。?$")
        if title is not None:
            facts["offline.proof_form"] = Found(f"附件{n}《{title[0].group(1)}》", hit[1])
    if hit := notice.find(r"附件\d+[，,]\s*([^，。）)]*下载)"):
        facts["offline.proof_source"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"(按要求[^。]*?上传[^。，]*?平台)"):
        facts["offline.proof_steps"] = Found(hit[0].group(1), hit[1])
    return facts


def _fee(notice: Notice) -> Facts:
    facts: Facts = {}
    hit = notice.find_any(r"(?:培训费|费用|收费|缴纳)[^。]{0,10}?(\d+(?:\.\d+)?)元", under="费")
    if hit is None:
        return facts
    match, sentence = hit
    facts["fee.amount"] = Found(number(match.group(1)), sentence)
    if per := re.search(r"元/(人次|人|岗|证)|每(人次|人|岗|证)", sentence):
        facts["fee.per"] = Found(per.group(1) or per.group(2), sentence)
    if rule := re.search(r"元(?:/[^（]{1,2})?（(.+?)）", sentence):
        facts["fee.rule"] = Found(rule.group(1), sentence)
    when = re.search(r"[，,]\s*在?([^，。]*?)后?(合格后(?:缴纳|缴费|交费))", sentence) or re.search(
        r"[，,]\s*((?:在)?[^，。]*?(?:缴纳|缴费|交费))。?$", sentence
    )
    if when:
        facts["fee.when"] = Found("".join(g for g in when.groups() if g), sentence)
    return facts


def _confirmation(notice: Notice) -> Facts:
    facts: Facts = {}
    if hit := notice.find(r"每月(\d{1,2})日?[-—–~～至到](\d{1,2})日", within="确认"):
        sentence, first, last = hit[1], int(hit[0].group(1)), int(hit[0].group(2))
        workdays = "中的工作日" if "工作日" in sentence else ""
        facts["confirmation.days"] = Found(f"每月{first}—{last}日{workdays}", sentence)
        facts["confirmation.first_day"] = Found(first, sentence)
        facts["confirmation.last_day"] = Found(last, sentence)
        if until := re.search(r"时间[：:](.+?)每月", sentence):
            facts["confirmation.until"] = Found(until.group(1), sentence)
    if hit := notice.find(r"地点[：:]\s*(.+?)。?$", within="确认"):
        facts["confirmation.place"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"接受(.+?)(?:的)?(?:现场)?监督", within="资格确认"):
        facts["confirmation.supervisor"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"(?:资料|材料)[：:]\s*(.+?)。?$", within="确认"):
        materials = re.sub(r"（见(附件\d+)）", r"（\1）", hit[0].group(1))
        facts["confirmation.materials"] = Found(materials, hit[1])
    if hit := notice.find(r"^注[：:](.*(?:打印|盖章).*?)。?$"):
        facts["confirmation.registration_form_note"] = Found(hit[0].group(1), hit[1])
    return facts


def _online(notice: Notice) -> Facts:
    facts: Facts = {}
    site = r"(?<![\w.])((?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org)(?:\.cn)?)"
    if hit := notice.find_any(site, within="登录|网"):
        facts["websites.pc"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"进入[“\"]([^“”\"]+?平台)[”\"]"):
        facts["websites.platform"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"关注[“\"]([^“”\"]+)[”\"](?:微信)?公众号"):
        facts["websites.wechat_account"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"选择[“\"]([^“”\"]+)[”\"]", within="报名"):
        facts["registration.org_choice"] = Found(hit[0].group(1), hit[1])
    if hit := notice.find(r"输入((?:[“\"][^”\"]+[”\"][、，,]?)+)登录"):
        login = "、".join(re.findall(r"[“\"]([^”\"]+)[”\"]", hit[0].group(1)))
        facts["registration.login"] = Found(login, hit[1])
    if hit := notice.find(r"(微信绑定唯一[^。]*?绑定)"):
        facts["binding.rule"] = Found(hit[0].group(1), hit[1])
    return facts


def _contact(notice: Notice) -> Facts:
    hit = notice.find(r"(?:咨询|联系)(?:电话|方式)[：:]")
    if hit is None:
        return {}
    sentence = hit[1]
    rest = sentence[hit[0].end() :]
    facts: Facts = {}
    if name := re.match(rf"\s*([{CJK}]{{1,4}}?(?:女士|先生|老师|同志)|[{CJK}]{{2,4}})", rest):
        facts["contact.name"] = Found(name.group(1), sentence)
    if phone := re.search(r"(?<!\d)(0\d{2,3}-?\d{7,8})(?!\d)", rest):
        facts["contact.phone"] = Found(phone.group(1), sentence)
    if mobile := re.search(r"(?<!\d)(1[3-9]\d{9})(?!\d)", rest):
        facts["contact.mobile"] = Found(mobile.group(1), sentence)
    return facts


# The steps of the to-do list (campaign `steps:`): the notice must still describe each.
STEP_PATTERNS = {
    "register": r"报名",
    "confirm": r"资格确认",
    "pay": r"缴纳|缴费|交费",
    "study_online": r"线上|在线学习|网络继续教育",
    "upload_proof": r"上传",
    "audit": r"审核",
}


def _steps(notice: Notice) -> Facts:
    facts: Facts = {}
    for step, pattern in STEP_PATTERNS.items():
        if hit := notice.find(rf"^(?![一二三四五六七八九十]+、).*(?:{pattern})"):
            facts[f"steps.{step}"] = Found(True, hit[1])
    return facts


RULES: tuple[Callable[[Notice], Facts], ...] = (
    _meta,
    _period,
    _audience,
    _posts,
    _hours,
    _offline,
    _fee,
    _confirmation,
    _online,
    _contact,
    _steps,
)


def extract(sentences: Iterable[Sentence]) -> Facts:
    """Every fact the rules find in the notice, by fact path (``fee.amount``, ``campaign.title``)."""
    notice = Notice(sentences)
    facts: Facts = {}
    for rule in RULES:
        facts.update(rule(notice))
    return facts
