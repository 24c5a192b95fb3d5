import datetime as dt

import pytest

from knowledge.answers import render
from knowledge.campaign import SHORT_LIMIT
from knowledge.check import sample_moments

TZ = dt.timezone(dt.timedelta(hours=8))


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), TZ)


def test_fee_answer_states_the_notice_rules(campaign):
    text = render(campaign, "ask_fee", at("2023-11-24"))
    assert "100元/人" in text and "一人多岗只用缴纳一次" in text and "资格确认合格后" in text


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2023-07-01", "第一次确认日是7月26、27、28日"),
        ("2023-09-20", "今天（9月20日）不办理，下一次确认日：9月26、27、28日"),
        ("2023-11-27", "今天（11月27日）就是确认日，本月还有11月28、29、30日"),
        ("2023-11-25", "下一次确认日：11月27、28、29、30日"),
        ("2023-12-29", "也是本月最后一个确认日"),
        ("2023-12-30", "本年度的资格确认已经结束了"),
    ],
)
def test_confirmation_time_depends_on_the_date(campaign, day, expected):
    assert expected in render(campaign, "ask_confirmation_time", at(day))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2023-07-10", "还有10天开始"),
        ("2023-11-24", "离截止还有37天"),
        ("2023-12-31", "最后一天"),
        ("2024-01-01", "已经结束"),
    ],
)
def test_period_answer_counts_days(campaign, day, expected):
    assert expected in render(campaign, "ask_period", at(day))


def test_local_date_is_shanghai_whatever_the_offset(campaign):
    # 2023-11-26 17:00 UTC is already the 27th in Yueyang: a confirmation day.
    moment = dt.datetime(2023, 11, 26, 17, tzinfo=dt.UTC)
    assert "今天（11月27日）就是确认日" in render(campaign, "ask_confirmation_time", moment)


def test_every_short_answer_fits_one_sms_at_every_sample_moment(campaign):
    for moment in sample_moments(campaign):
        for intent in campaign.answers:
            text = render(campaign, intent, moment, form="short", extra={"suggestions": ""})
            assert len(text) <= SHORT_LIMIT, (intent, moment, text)


def test_naive_now_is_refused(campaign):
    with pytest.raises(ValueError, match="timezone-aware"):
        render(campaign, "ask_fee", dt.datetime(2023, 11, 24, 10))


def test_templates_are_filled_in_as_string_formatter_fills_them(campaign):
    """The formatter parses each template once; every wording of the campaign comes out as the standard way
    gives it, and so do positional fields, conversions, specs and nested fields."""
    import string

    from knowledge.answers import FactFormatter, date_values

    now = dt.datetime(2023, 11, 24, 10, tzinfo=campaign.tz)
    values = {**date_values(campaign, now), "word": "可以", "n": "12", "answer": "…", "known": "…"}
    standard = type("Standard", (string.Formatter,), {"get_field": FactFormatter.get_field})
    answers = [*campaign.answers.values(), *campaign.composed.values(), *campaign.personal.values()]
    templates = [a.pick(form) for a in answers for form in ("full", "short")]
    templates += ["{fee.amount:>6}元", "{word!r}", "{0}和{word}", "{word:{n}}", "{{不是字段}}", "无字段"]
    filled = 0
    for template in templates:
        fast, slow = FactFormatter(campaign, values), standard.__new__(standard)
        slow.__dict__.update(fast.__dict__)
        try:
            expected = slow.format(template, "位置")
        except (KeyError, AttributeError, ValueError, IndexError) as exc:
            with pytest.raises(type(exc)):
                fast.format(template, "位置")
            continue
        assert fast.format(template, "位置") == expected
        filled += 1
    assert filled > 100
