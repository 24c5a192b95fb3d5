"""The campaign file: the notice's facts and the answers built on them, loaded and validated."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.kernel.yamlfile import load_yaml

DEFAULT_CAMPAIGN = Path(__file__).parent / "campaigns" / "yueyang-2023.yaml"
SHORT_LIMIT = 70


class CampaignError(Exception):
    """A campaign file that cannot be used; the message says which file and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Strict):
    id: str
    title: str
    issuer: str
    document_no: str
    issued_on: dt.date
    basis: tuple[str, ...] = ()  # the documents the notice is issued under, as it names them
    attachments: tuple[str, ...] = ()  # its attachments in order, as "附件1《title》"
    timezone: str
    source: str

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"未知时区 {value!r}，例如 Asia/Shanghai") from exc
        return value


class Period(_Strict):
    start: dt.date
    end: dt.date


class Hours(_Strict):
    yearly: float = Field(gt=0)
    online_min: float = Field(gt=0)
    offline_proof_min: float = Field(ge=0)
    # Field name mirrors the notice's wording ("从取得职业培训合格证次年起").
    from_: str = Field(alias="from")


class Qualification(_Strict):
    audit_by: str
    certificate_update: str


class Offline(_Strict):
    kinds: str
    proof_form: str
    proof_source: str
    proof_steps: str


class Fee(_Strict):
    amount: int = Field(gt=0)
    per: str
    rule: str
    when: str


class Confirmation(_Strict):
    days: str
    first_day: int = Field(ge=1, le=31)
    last_day: int = Field(ge=1, le=31)
    until: str
    place: str
    supervisor: str
    materials: str
    registration_form_note: str


class Websites(_Strict):
    pc: str
    platform: str
    wechat_account: str


class Registration(_Strict):
    org_choice: str
    login: str


class Binding(_Strict):
    rule: str


class Contact(_Strict):
    name: str
    phone: str
    mobile: str


class Facts(_Strict):
    period: Period
    audience: str
    posts: tuple[str, ...] = Field(min_length=1)
    hours: Hours
    qualification: Qualification
    offline: Offline
    fee: Fee
    confirmation: Confirmation
    websites: Websites
    registration: Registration
    binding: Binding
    contact: Contact

    @property
    def audience_until_year(self) -> int:
        """The latest year a certificate may be from to be in this year's audience: the year the audience
        sentence names (2022年培训新取证及2022年以前…), else the year before the campaign starts."""
        years = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)年", self.audience)]
        return max(years) if years else self.period.start.year - 1

    @field_validator("posts")
    @classmethod
    def _unique_posts(cls, posts: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(posts)) != len(posts):
            raise ValueError("posts are listed twice")
        return posts


class YearDays(_Strict):
    """One year's official calendar, for a year the chinesecalendar package does not know yet."""

    holidays: tuple[dt.date, ...] = ()  # days off, weekdays included (法定节假日)
    workdays: tuple[dt.date, ...] = ()  # weekend days that are working days (调休上班)


class Answer(_Strict):
    full: str = Field(min_length=1)
    short: str = Field(min_length=1)

    def pick(self, form: str) -> str:
        """The wording for ``form``: "full" (chat), else "short" (SMS)."""
        return self.full if form == "full" else self.short


class Silence(_Strict):
    """A question the notice leaves open: what it is about and, optionally, what the notice does say nearby."""

    topic: str
    known: str = ""
    partial: bool = False  # the notice answers the question but for this point: report the topic asked


class Detail(_Strict):
    """The answer to one aspect of a topic: chosen when the intent and every aspect named are present.

    ``answer`` is a reply of its own; ``silent`` says the notice does not cover it; ``compute`` names a reply
    worked out from the message (the hours stated, a date, a year, a post); none of the three: the intent's
    own answer. ``verdict`` is what a yes/no question about it is answered with.
    """

    id: str
    intents: tuple[str, ...] = ()  # empty: any intent about the notice
    aspects: tuple[str, ...] = Field(min_length=1)
    unless: tuple[str, ...] = ()
    answer: Answer | None = None
    silent: Silence | None = None
    compute: (
        Literal[
            "hours_check",
            "hours_check_online",
            "hours_rule_claim",
            "hours_bound",
            "certificate_year",
            "confirmation_date",
            "confirmation_last",
            "period_date",
            "period_now",
            "post_check",
            "fee_total",
            "hours_each",
        ]
        | None
    ) = None
    verdict: Literal["yes", "no"] | None = None
    # The words a reply starts with when the message asks it without a yes/no form ("明天确认?"): [yes, no].
    lead: tuple[str, str] | None = None
    # The lead words above answer every yes/no form ("今天是不是最后一天可以确认" is 是/不是, not 可以).
    lead_always: bool = False
    # Says yes to any yes/no question about its topic: the question's content is checked against the reply
    # first ("培训费能报销吗" gets the fee and the notice's silence, not 可以).
    broad: bool = False
    report: str | None = None  # the intent reported for it (default: the one understood)
    weight: int = 0  # ranks it as if it named so many more aspects (the hours of several people first)

    @model_validator(mode="after")
    def _one_kind(self) -> Detail:
        if sum(x is not None for x in (self.answer, self.silent, self.compute)) > 1:
            raise ValueError(f"detail {self.id}: give at most one of answer, silent, compute")
        return self


class ReminderTexts(_Strict):
    """The wording of reminder SMS: a phrase per kind (full and short), the greeting and the tail."""

    greeting: str
    tail: str
    opens_today: str
    registration: Answer
    confirmation_window: Answer
    payment_due: Answer
    hours_shortfall: Answer
    online_gap: str
    offline_gap: str
    online_action: Answer
    offline_action: Answer
    deadline: Answer
    last_day: Answer
    next_step: dict[str, str]


class Campaign(_Strict):
    """One year's notice: metadata, typed facts, date-dependent sentences, answers and topic labels."""

    campaign: Meta
    facts: Facts
    dynamic: dict[str, dict[str, str]]
    answers: dict[str, Answer]
    labels: dict[str, str]
    personal: dict[str, Answer]
    steps: dict[str, str]
    reminders: ReminderTexts
    rules: dict[str, str]  # the hours rule, stated once for general and personal replies alike
    composed: dict[str, Answer]  # the wording of replies worked out from a message (yes/no, dates, hours)
    details: tuple[Detail, ...] = ()
    # The State Council's holidays and adjusted working days by year, used where chinesecalendar has no data.
    calendar: dict[int, YearDays] = Field(default_factory=dict)
    # Where each fact came from: a fact path (``fee.amount``) and the notice's sentence (written by `kb draft`).
    sources: dict[str, str] = Field(default_factory=dict)
    # What a drafted file still asks a person to check; `kb check` fails until the list is emptied.
    review: tuple[str, ...] = ()

    @field_validator("calendar")
    @classmethod
    def _days_in_their_year(cls, years: dict[int, YearDays]) -> dict[int, YearDays]:
        for year, days in years.items():
            stray = [d.isoformat() for d in (*days.holidays, *days.workdays) if d.year != year]
            if stray:
                raise ValueError(f"{year}：列出了别的年份的日期：{'、'.join(stray)}")
        return years

    @functools.cached_property
    def tz(self) -> ZoneInfo:
        """The campaign's time zone: the one zone local dates, windows and quiet hours are read in (looked up
        once: every answer reads it)."""
        return ZoneInfo(self.campaign.timezone)

    def fact(self, dotted: str) -> Any:
        """Return the fact at a dotted path such as ``fee.amount`` or ``campaign.title``."""
        head, _, rest = dotted.partition(".")
        node: Any = self.campaign if head == "campaign" else getattr(self.facts, head, None)
        if node is None:
            raise KeyError(dotted)
        for part in rest.split(".") if rest else ():
            attr = "from_" if part == "from" else part
            if not hasattr(node, attr):
                raise KeyError(dotted)
            node = getattr(node, attr)
        return node


def load_campaign(path: Path | str = DEFAULT_CAMPAIGN) -> Campaign:
    """Read and validate a campaign file; raise CampaignError naming the file and the problem."""
    return read_campaign(path)[0]


def read_campaign(path: Path | str = DEFAULT_CAMPAIGN) -> tuple[Campaign, Any]:
    """``load_campaign``, with the file's parsed YAML too (the draft writes over it, keeping its order)."""
    path = Path(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CampaignError(f"{path}：无法读取：{exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CampaignError(f"{path}：不是有效的 YAML（请检查缩进和冒号）：{exc}") from exc
    try:
        return Campaign.model_validate(raw), raw
    except ValidationError as exc:
        problems = "；".join(_explain(err) for err in exc.errors())
        raise CampaignError(f"{path}: {problems}") from exc


# Pydantic's error types in words a staff member editing the campaign file can act on.
_ERROR_WORDS = {
    "missing": "缺少这一项",
    "extra_forbidden": "多了不认识的一项（拼写错了？）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "date_from_datetime_parsing": "应为日期，如 2024-07-20",
    "date_parsing": "应为日期，如 2024-07-20",
    "date_type": "应为日期，如 2024-07-20",
    "string_type": "应为文字",
    "list_type": "应为列表（每行以“- ”开头）",
    "dict_type": "应为一组“名称: 内容”",
    "model_type": "应为一组“名称: 内容”",
    "greater_than": "应大于0",
}


def _explain(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "文件"
    words = _ERROR_WORDS.get(error["type"], error["msg"])
    given = error.get("input")
    shown = f"（写的是：{given!r}）" if isinstance(given, str | int | float) else ""
    return f"{where}：{words}{shown}"
