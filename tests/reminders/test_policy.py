"""The reminder policy per kind and date, the digest, once a day, quiet hours and the two-segment limit."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
from collections.abc import Mapping, Set
from dataclasses import replace

import pytest

from knowledge.campaign import Campaign, load_campaign
from knowledge.status import TraineeRecord
from reminders.policy import PlanError, QuietHours, Reminder, Segment, plan_broadcast, plan_reminders
from reminders.templates import SMS_LIMIT, check_wording
from tests.records import trainee
from tests.timezone import SHANGHAI

CAMPAIGN = load_campaign()
QUIET = QuietHours.parse("21:00", "08:00", SHANGHAI)

BASE = trainee(
    name="张三", id_masked="4306**********1237", phone="13812345678", posts=("安全员",), employer="岳阳建工"
)
UNREGISTERED = BASE
UNCONFIRMED = replace(BASE, trainee_id=2, registered=True)
UNPAID = replace(BASE, trainee_id=3, registered=True, confirmed=True, confirmed_on=dt.date(2023, 10, 26))
STUDYING = replace(UNPAID, trainee_id=4, paid=True, online_hours=23.5, offline_hours=4)
QUALIFIED = replace(UNPAID, trainee_id=5, paid=True, online_hours=32, audited=True)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def plan(
    records: list[TraineeRecord],
    when: str,
    *,
    sent: Mapping[int, Set[str]] | None = None,
    telegram: Mapping[int, str] | None = None,
    campaign: Campaign = CAMPAIGN,
) -> dict[int, Reminder]:
    result = plan_reminders(
        records, campaign, at(when), sent=sent or {}, telegram=telegram or {}, quiet=QUIET
    )
    return {r.trainee_id: r for r in result}


def kinds(records: list[TraineeRecord], when: str, **kw: object) -> dict[int, tuple[str, ...]]:
    return {tid: r.kinds for tid, r in plan(records, when, **kw).items()}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2023-11-24T10:00", True),  # Friday, the last working day before the 27–30 window
        ("2023-11-25T10:00", False),
        ("2023-11-26T10:00", False),
        ("2023-11-27T10:00", True),  # the window's first day
        ("2023-11-28T10:00", False),
        ("2023-12-25T10:00", True),  # Monday before the 26–29 window
        ("2023-12-26T10:00", True),
    ],
)
def test_confirmation_window_on_the_eve_and_the_first_day(when: str, expected: bool) -> None:
    got = plan([UNCONFIRMED], when).get(2)
    assert (got is not None and "confirmation_window" in got.kinds) == expected


def test_confirmation_text_names_the_windows_working_days_and_place() -> None:
    text = plan([UNCONFIRMED], "2023-11-24T10:00")[2].text
    assert "11月27、28、29、30日" in text
    assert CAMPAIGN.facts.confirmation.place in text
    opening = plan([UNCONFIRMED], "2023-11-27T10:00")[2].text
    assert "今天起" in opening


def test_confirmation_keys_per_window_and_day() -> None:
    eve = plan([UNCONFIRMED], "2023-11-24T10:00")[2]
    assert "confirmation_window:2023-11:eve" in eve.keys
    again = plan([UNCONFIRMED], "2023-11-24T11:00", sent={2: {"confirmation_window:2023-11:eve"}})
    assert 2 not in again or "confirmation_window" not in again[2].kinds


def test_registration_weekly() -> None:
    first = plan([UNREGISTERED], "2023-11-20T10:00")[1]
    assert first.kinds == ("registration",)
    assert "registration:2023-W47" in first.keys
    assert CAMPAIGN.facts.websites.pc in first.text
    sent = {1: set(first.keys)}
    assert plan([UNREGISTERED], "2023-11-23T10:00", sent=sent) == {}
    assert plan([UNREGISTERED], "2023-11-27T10:00", sent=sent)[1].kinds == ("registration",)


def test_payment_due_names_the_fee() -> None:
    got = plan([UNPAID], "2023-11-20T10:00")[3]
    assert got.kinds == ("payment_due", "hours_shortfall")
    assert f"{CAMPAIGN.facts.fee.amount}元" in got.text
    assert "payment_due:2023-W47" in got.keys


def test_hours_shortfall_by_the_cheaper_path_weekly() -> None:
    got = plan([STUDYING], "2023-11-20T10:00")[4]
    assert got.kinds == ("hours_shortfall",)
    assert "线下8学时" in got.text and "线上" not in got.text
    assert "hours_shortfall:2023-W47" in got.keys
    online = replace(STUDYING, online_hours=25, offline_hours=0)
    assert "线上7学时" in plan([online], "2023-11-20T10:00")[4].text
    assert plan([STUDYING], "2023-11-22T10:00", sent={4: {"hours_shortfall:2023-W47"}}) == {}


@pytest.mark.parametrize("days_left", [30, 14, 7, 3, 1, 0])
def test_deadline_countdown(days_left: int) -> None:
    day = CAMPAIGN.facts.period.end - dt.timedelta(days=days_left)
    got = plan([STUDYING], f"{day.isoformat()}T10:00")[4]
    assert got.kinds == ("hours_shortfall", "deadline")
    assert f"deadline:2023-12-31:d{days_left}" in got.keys
    assert ("最后一天" in got.text) == (days_left == 0)


@pytest.mark.parametrize("days_left", [29, 15, 8, 4, 2])
def test_no_deadline_between_countdown_days(days_left: int) -> None:
    day = CAMPAIGN.facts.period.end - dt.timedelta(days=days_left)
    got = plan(
        [STUDYING], f"{day.isoformat()}T10:00", sent={4: {"hours_shortfall:" + day.strftime("%G-W%V")}}
    )
    assert got == {}


def test_changed_deadline_starts_afresh() -> None:
    later = CAMPAIGN.model_copy(
        update={"facts": CAMPAIGN.facts.model_copy(update={"period": replace_period(dt.date(2024, 1, 7))})}
    )
    sent = {4: {"deadline:2023-12-31:d7", "hours_shortfall:2023-W52"}}
    got = plan([STUDYING], "2023-12-31T10:00", sent=sent, campaign=later)[4]
    assert got.kinds == ("deadline",)
    assert "deadline:2024-01-07:d7" in got.keys


def replace_period(end: dt.date) -> object:
    return CAMPAIGN.facts.period.model_copy(update={"end": end})


def test_digest_merges_due_kinds_into_one_message() -> None:
    got = plan([UNPAID], "2023-12-01T10:00")
    assert list(got) == [3]
    assert got[3].kinds == ("payment_due", "hours_shortfall", "deadline")
    assert "100元" in got[3].text and "32学时" in got[3].text and "30天" in got[3].text


def test_once_per_day() -> None:
    first = plan([UNPAID], "2023-11-20T09:00")[3]
    assert "day:2023-11-20" in first.keys
    assert first.idempotency_key == "reminder:3:2023-11-20"
    # A kind that becomes due later the same day waits for tomorrow.
    assert plan([UNPAID], "2023-11-20T15:00", sent={3: {"day:2023-11-20"}}) == {}


def test_nothing_for_qualified_or_opted_out() -> None:
    assert plan([QUALIFIED], "2023-12-01T10:00") == {}
    assert plan([replace(UNPAID, opted_out=True)], "2023-12-01T10:00") == {}


@pytest.mark.parametrize(
    "when", ["2024-01-01T10:00", "2023-12-31T21:30", "2024-03-01T10:00", "2023-07-19T10:00"]
)
def test_nothing_outside_the_campaign(when: str) -> None:
    assert plan([UNREGISTERED, UNCONFIRMED, UNPAID, STUDYING], when) == {}


@pytest.mark.parametrize(
    ("when", "send_at"),
    [
        ("2023-11-20T20:59", "2023-11-20T20:59:00+08:00"),
        ("2023-11-20T21:00", "2023-11-21T08:00:00+08:00"),
        ("2023-11-20T23:30", "2023-11-21T08:00:00+08:00"),
        ("2023-11-21T03:00", "2023-11-21T08:00:00+08:00"),
        ("2023-11-21T08:00", "2023-11-21T08:00:00+08:00"),
    ],
)
def test_quiet_hours_defer_to_eight(when: str, send_at: str) -> None:
    assert plan([STUDYING], when)[4].send_at.isoformat() == send_at


def test_quiet_hours_read_in_shanghai_whatever_the_input_zone() -> None:
    utc_evening = dt.datetime(2023, 11, 20, 14, 0, tzinfo=dt.UTC)  # 22:00 in Shanghai
    got = plan_reminders([STUDYING], CAMPAIGN, utc_evening, sent={}, telegram={}, quiet=QUIET)
    assert got[0].send_at.isoformat() == "2023-11-21T08:00:00+08:00"


def test_plan_does_not_depend_on_the_host_time_zone() -> None:
    script = (
        "import datetime as dt, json;"
        "from tests.timezone import SHANGHAI;"
        "from tests.reminders.test_policy import UNPAID, plan;"
        "got = [r.to_json() for r in plan([UNPAID], '2023-11-20T22:30').values()];"
        "print(json.dumps(got, ensure_ascii=False))"
    )
    outputs = set()
    for tz in ("UTC", "America/Los_Angeles", "Asia/Shanghai", "Pacific/Kiritimati"):
        env = {**os.environ, "TZ": tz}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(out.stdout)
    assert len(outputs) == 1
    assert "2023-11-21T08:00:00+08:00" in outputs.pop()


def test_naive_now_is_refused() -> None:
    with pytest.raises(PlanError, match="timezone-aware"):
        plan_reminders([BASE], CAMPAIGN, dt.datetime(2023, 11, 20, 10), sent={}, telegram={}, quiet=QUIET)


def test_channel_telegram_when_bound_else_sms_else_nothing() -> None:
    no_phone = replace(STUDYING, trainee_id=6, phone=None)
    got = plan([STUDYING, UNPAID, no_phone], "2023-11-20T10:00", telegram={3: "4242"})
    assert (got[3].channel, got[3].address) == ("telegram", "4242")
    assert (got[4].channel, got[4].address) == ("sms", "13812345678")
    assert 6 not in got


def test_json_shape() -> None:
    got = plan([STUDYING], "2023-11-20T10:00")[4].to_json()
    assert set(got) == {"trainee_id", "name", "channel", "send_at", "kinds", "text"}


LONG_NAMES = ["李", "欧阳娜娜", "阿卜杜热合曼·买买提江", "X" * 40]


@pytest.mark.parametrize("name", LONG_NAMES)
def test_every_digest_fits_one_sms_names_the_trainee_and_never_the_id(name: str) -> None:
    records = []
    for i, (reg, conf, paid, online, offline) in enumerate(
        itertools.product([False, True], [False, True], [False, True], [0, 19.5, 25], [0, 4, 12])
    ):
        records.append(
            replace(
                BASE,
                trainee_id=i,
                name=name,
                registered=reg,
                confirmed=conf and reg,
                paid=paid and conf and reg,
                online_hours=online,
                offline_hours=offline,
            )
        )
    for day in (
        "2023-11-24T10:00",
        "2023-11-27T10:00",
        "2023-12-01T10:00",
        "2023-12-26T10:00",
        "2023-12-31T10:00",
    ):
        for r in plan(records, day).values():
            assert len(r.text) <= SMS_LIMIT, r.text
            assert name[:4] in r.text
            assert "4306" not in r.text
            assert "请" in r.text  # a next action


def test_broadcast_to_a_segment() -> None:
    records = [
        UNREGISTERED,
        UNCONFIRMED,
        UNPAID,
        STUDYING,
        QUALIFIED,
        replace(UNPAID, trainee_id=9, opted_out=True),
    ]
    got = plan_broadcast(
        records,
        CAMPAIGN,
        at("2023-11-20T22:00"),
        broadcast_id="b1",
        segment=Segment.parse("unpaid"),
        text="请尽快缴费。",
        telegram={},
        quiet=QUIET,
    )
    assert [r.trainee_id for r in got] == [3]
    assert got[0].idempotency_key == "broadcast:b1:3"
    assert got[0].kinds == ("broadcast",)
    assert got[0].send_at.isoformat() == "2023-11-21T08:00:00+08:00"
    post = Segment.parse("post:安全员")
    assert (
        len(
            plan_broadcast(
                records,
                CAMPAIGN,
                at("2023-11-20T10:00"),
                broadcast_id="b2",
                segment=post,
                text="x",
                telegram={},
                quiet=QUIET,
            )
        )
        == 5
    )


def test_unknown_segment() -> None:
    with pytest.raises(PlanError, match="not_registered"):
        Segment.parse("everyone")
    with pytest.raises(PlanError):
        Segment.parse("post")


def test_broadcast_text_must_fit_two_segments() -> None:
    with pytest.raises(PlanError, match="at most 134"):
        plan_broadcast(
            [BASE], CAMPAIGN, at("2023-11-20T10:00"), broadcast_id="long", segment=Segment("all"),
            text="字" * 135, telegram={}, quiet=QUIET,
        )  # fmt: skip


def test_reminder_wording_is_checked() -> None:
    assert check_wording(CAMPAIGN) == []
    texts = CAMPAIGN.reminders
    broken = CAMPAIGN.model_copy(update={"reminders": texts.model_copy(update={"tail": "咨询{contact.fax}"})})
    assert check_wording(broken)[0].startswith("reminders: broken reference")
    verbose = texts.model_copy(
        update={"greeting": "{name}您好，这是一条很长很长很长很长很长很长很长很长很长很长很长的问候：" * 2}
    )
    assert "even in short form" in check_wording(CAMPAIGN.model_copy(update={"reminders": verbose}))[0]
