"""The reminder policy, pure: who is due which reminder at a moment, given the ledger and what was sent.

Dedup follows Moodle's (item, due date): every kind carries a key naming its period
(``registration:2023-W47``, ``confirmation_window:2023-11:eve``, ``deadline:2023-12-31:d7``), so a changed
deadline or a new window starts afresh. A ``day:<date>`` key per trainee keeps it to one message a day;
due kinds are merged into one digest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from knowledge.calendar import ConfirmationWindow, OwnCalendar, confirmation_windows, is_workday, own_calendar
from knowledge.campaign import Campaign
from knowledge.status import HoursRules, TraineeRecord, assess
from reminders.templates import KINDS, SMS_LIMIT, Gap, Kind, Wording

DEADLINE_COUNTDOWN = (30, 14, 7, 3, 1, 0)

__all__ = [
    "DEADLINE_COUNTDOWN",
    "KINDS",
    "Kind",
    "PlanError",
    "QuietHours",
    "Reminder",
    "Segment",
    "candidate_keys",
    "plan_broadcast",
    "plan_reminders",
]


class PlanError(Exception):
    """A policy input that cannot be used (a bad segment, naive time, unusable quiet hours)."""


@dataclass(frozen=True)
class QuietHours:
    """The local hours in which nothing is sent (21:00–08:00 Asia/Shanghai by default)."""

    start: dt.time
    end: dt.time
    tz: dt.tzinfo

    @classmethod
    def parse(cls, start: str, end: str, tz: dt.tzinfo) -> QuietHours:
        """Build from ``HH:MM`` strings, as in the settings."""
        try:
            return cls(dt.time.fromisoformat(start), dt.time.fromisoformat(end), tz)
        except ValueError as exc:
            raise PlanError(f"quiet hours {start!r}–{end!r} are not HH:MM, e.g. 21:00 and 08:00") from exc

    def contains(self, at: dt.datetime) -> bool:
        """Tell whether ``at`` falls in the quiet hours, read on the local clock."""
        t = at.astimezone(self.tz).time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start > self.end:  # wraps midnight
            return t >= self.start or t < self.end
        return self.start <= t < self.end

    def next_allowed(self, at: dt.datetime) -> dt.datetime:
        """Return ``at`` itself when sending is allowed, else the end of the quiet hours, in local time."""
        local = at.astimezone(self.tz)
        if not self.contains(local):
            return local
        day = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, self.end, tzinfo=self.tz)


@dataclass(frozen=True, slots=True)
class Reminder:
    """One planned message: a digest of due kinds (or a broadcast) for one trainee at one moment."""

    trainee_id: int
    name: str
    channel: str
    address: str
    send_at: dt.datetime
    kinds: tuple[str, ...]
    keys: tuple[str, ...]
    text: str
    idempotency_key: str
    # None: the end of the send day (see ``end_of_day``); the outbox marks the row expired after it.
    expires_at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``jxjy reminders plan --json`` shape (CONTRACTS.md)."""
        return {
            "trainee_id": self.trainee_id,
            "name": self.name,
            "channel": self.channel,
            "send_at": self.send_at.isoformat(),
            "kinds": list(self.kinds),
            "text": self.text,
        }


def end_of_day(at: dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    """The first moment of the next local day (in ``tz``, else ``at``'s own zone): a day's message expires then."""
    local = at.astimezone(tz) if tz is not None else at
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=local.tzinfo)


def reminder_expiry(send_at: dt.datetime, campaign: Campaign, tz: dt.tzinfo) -> dt.datetime:
    """A reminder is good for its own day and never after the campaign's last day."""
    campaign_end = dt.datetime.combine(campaign.facts.period.end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return min(end_of_day(send_at, tz), campaign_end)


def day_key(day: dt.date) -> str:
    """The once-a-day key."""
    return f"day:{day.isoformat()}"


def week_of(day: dt.date) -> str:
    """The ISO week, as used in weekly keys: 2023-W47."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_workday_before(day: dt.date, own: OwnCalendar = ()) -> dt.date:
    """The last working day strictly before ``day`` (adjusted weekends and holidays included)."""
    prev = day - dt.timedelta(days=1)
    while not is_workday(prev, own):
        prev -= dt.timedelta(days=1)
    return prev


@dataclass(frozen=True)
class _Today:
    """Everything about the send day that is the same for every trainee, computed once per plan."""

    day: dt.date
    week: str
    window: ConfirmationWindow | None
    window_key: str | None
    opens_today: bool
    deadline_key: str | None
    days_left: int

    @classmethod
    def build(cls, campaign: Campaign, day: dt.date, windows: Sequence[ConfirmationWindow]) -> _Today:
        window, key, opens = None, None, False
        own = own_calendar(campaign)
        for w in windows:
            if day == w.days[0]:
                window, key, opens = w, f"confirmation_window:{w.key}:open", True
            elif day == last_workday_before(w.days[0], own):
                window, key = w, f"confirmation_window:{w.key}:eve"
        end = campaign.facts.period.end
        days_left = (end - day).days
        deadline_key = f"deadline:{end.isoformat()}:d{days_left}" if days_left in DEADLINE_COUNTDOWN else None
        return cls(day, week_of(day), window, key, opens, deadline_key, days_left)


def candidate_keys(
    campaign: Campaign,
    now: dt.datetime,
    quiet: QuietHours,
    windows: Sequence[ConfirmationWindow] | None = None,
) -> tuple[str, ...]:
    """The keys a plan at ``now`` could use, so the history needed is one ``key IN (...)`` query."""
    day = quiet.next_allowed(now).date()
    today = _Today.build(campaign, day, windows if windows is not None else confirmation_windows(campaign))
    keys = [day_key(day)] + [
        f"{kind}:{today.week}" for kind in ("registration", "payment_due", "hours_shortfall")
    ]
    keys += [k for k in (today.window_key, today.deadline_key) if k is not None]
    return tuple(keys)


def plan_reminders(
    records: Iterable[TraineeRecord],
    campaign: Campaign,
    now: dt.datetime,
    *,
    sent: Mapping[int, Set[str]],
    telegram: Mapping[int, str],
    quiet: QuietHours,
    windows: Sequence[ConfirmationWindow] | None = None,
    wechat: Mapping[int, str] | None = None,
) -> list[Reminder]:
    """Plan the digests a run at ``now`` would send: at most one per trainee, none in quiet hours.

    A run inside the quiet hours plans for the moment they end, with the facts of that day.
    ``sent`` maps a trainee to the keys already used; ``telegram`` and ``wechat`` map a trainee to their
    chat id and OpenID (WeChat first, then Telegram, else SMS).
    """
    if now.tzinfo is None:
        raise PlanError("plan_reminders needs a timezone-aware now, e.g. 2023-11-24T10:00:00+08:00")
    send_at = quiet.next_allowed(now)
    period = campaign.facts.period
    if not period.start <= send_at.date() <= period.end:
        return []
    today = _Today.build(
        campaign, send_at.date(), windows if windows is not None else confirmation_windows(campaign)
    )
    rules = HoursRules.from_campaign(campaign)
    wording = Wording(campaign)
    today_key = day_key(today.day)
    expires_at = reminder_expiry(send_at, campaign, quiet.tz)
    empty: frozenset[str] = frozenset()
    # Trainees at the same stage with the same history are due the same digest: work it out once.
    due: dict[tuple[object, ...], tuple[tuple[Gap, ...], tuple[str, ...]]] = {}
    planned = []
    for record in records:
        if record.opted_out:
            continue
        done = sent.get(record.trainee_id, empty)
        if today_key in done:
            continue
        stage = (record.registered, record.confirmed, record.paid, record.online_hours, record.offline_hours,
                 record.audited, frozenset(done) if done else empty)  # fmt: skip
        found = due.get(stage)
        if found is None:
            gap_list, key_list = _due(record, rules, today, done)
            found = due[stage] = (tuple(gap_list), (*key_list, today_key))
        gaps, keys = found
        if not gaps:
            continue
        contact = _contact(record, telegram, wechat)
        if contact is None:
            continue
        planned.append(
            Reminder(
                trainee_id=record.trainee_id,
                name=record.name,
                channel=contact[0],
                address=contact[1],
                send_at=send_at,
                kinds=tuple(g.kind for g in gaps),
                keys=keys,
                text=wording.render(record.name, gaps),
                idempotency_key=f"reminder:{record.trainee_id}:{today.day.isoformat()}",
                expires_at=expires_at,
            )
        )
    return planned


def _due(
    record: TraineeRecord, rules: HoursRules, today: _Today, done: Set[str]
) -> tuple[list[Gap], list[str]]:
    assessment = assess(record, rules)
    if assessment.qualified:
        return [], []
    gaps: list[Gap] = []
    keys: list[str] = []

    def add(gap: Gap, key: str) -> None:
        if key not in done:
            gaps.append(gap)
            keys.append(key)

    if not record.registered:
        add(Gap("registration"), f"registration:{today.week}")
    elif not record.confirmed:
        if today.window is not None and today.window_key is not None:
            add(
                Gap(
                    "confirmation_window", window_days=today.window.days, window_opens_today=today.opens_today
                ),
                today.window_key,
            )
    elif not record.paid:
        add(Gap("payment_due"), f"payment_due:{today.week}")
    missing = assessment.shortfall
    if record.registered and missing.total > 0:
        add(
            Gap("hours_shortfall", online=missing.online, offline=missing.offline),
            f"hours_shortfall:{today.week}",
        )
    if today.deadline_key is not None:
        step = assessment.next_steps[0] if assessment.next_steps else None
        add(Gap("deadline", days_left=today.days_left, next_step=step), today.deadline_key)
    return gaps, keys


def _contact(
    record: TraineeRecord, telegram: Mapping[int, str], wechat: Mapping[int, str] | None = None
) -> tuple[str, str] | None:
    openid = (wechat or {}).get(record.trainee_id)
    if openid:
        return "wechat", openid
    chat = telegram.get(record.trainee_id)
    if chat:
        return "telegram", chat
    if record.phone:
        return "sms", record.phone
    return None


# The kind of a staff message to a segment (mainland SMS and WeChat pick their template by kind).
BROADCAST = ("broadcast",)


@dataclass(frozen=True)
class Segment:
    """Who a broadcast goes to: ``all``, ``not_registered``, ``unconfirmed``, ``unpaid``, ``not_qualified``,
    ``post:<岗位>`` or ``employer:<单位>``."""

    name: str
    value: str | None = None

    NAMES = ("all", "not_registered", "unconfirmed", "unpaid", "not_qualified", "post", "employer")

    @classmethod
    def parse(cls, text: str) -> Segment:
        """Read ``unpaid`` or ``post:安全员``; raise PlanError listing the segments when unknown."""
        name, _, value = text.partition(":")
        name = name.strip().lower().replace("-", "_")
        if name not in cls.NAMES or (name in ("post", "employer")) != bool(value.strip()):
            raise PlanError(
                f"unknown segment {text!r}; use one of all, not_registered, unconfirmed, unpaid, "
                "not_qualified, post:<岗位>, employer:<单位>"
            )
        return cls(name, value.strip() or None)

    def matches(self, record: TraineeRecord, rules: HoursRules) -> bool:
        """Tell whether a record belongs to the segment."""
        if self.name == "all":
            return True
        if self.name == "not_registered":
            return not record.registered
        if self.name == "unconfirmed":
            return record.registered and not record.confirmed
        if self.name == "unpaid":
            return record.confirmed and not record.paid
        if self.name == "not_qualified":
            return not assess(record, rules).qualified
        if self.name == "post":
            return self.value in record.posts
        return record.employer == self.value


def plan_broadcast(
    records: Iterable[TraineeRecord],
    campaign: Campaign,
    now: dt.datetime,
    *,
    broadcast_id: str,
    segment: Segment,
    text: str,
    telegram: Mapping[int, str],
    quiet: QuietHours,
    wechat: Mapping[int, str] | None = None,
    valid_for: dt.timedelta | None = None,
) -> list[Reminder]:
    """Plan one staff message to every trainee of a segment who has not opted out.

    It expires ``valid_for`` after its send time, or by default at the end of its send day.
    """
    if now.tzinfo is None:
        raise PlanError("plan_broadcast needs a timezone-aware now")
    if len(text) > SMS_LIMIT:
        raise PlanError(
            f"broadcast text has {len(text)} characters; two SMS segments hold at most {SMS_LIMIT}"
        )
    rules = HoursRules.from_campaign(campaign)
    send_at = quiet.next_allowed(now)
    expires_at = send_at + valid_for if valid_for is not None else end_of_day(send_at, quiet.tz)
    planned = []
    for record in records:
        if record.opted_out or not segment.matches(record, rules):
            continue
        contact = _contact(record, telegram, wechat)
        if contact is None:
            continue
        key = f"broadcast:{broadcast_id}:{record.trainee_id}"
        planned.append(
            Reminder(
                record.trainee_id,
                record.name,
                contact[0],
                contact[1],
                send_at,
                BROADCAST,
                (),
                text,
                key,
                expires_at,
            )
        )
    return planned
