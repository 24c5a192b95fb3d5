import datetime as dt

from knowledge import when
from nlu.dates import DateSpan

MONDAY = dt.date(2023, 11, 20)


def say(key, *, verdict=None, form=None, **values):
    """Record what would be rendered: the key, the verdict and the computed values."""
    return {"key": key, "verdict": verdict, **values}


def span(first, last=None, words=""):
    return DateSpan(first, last or first, words)


def test_a_confirmation_day_says_yes(campaign):
    reply, ok = when.confirmation_on(campaign, span(dt.date(2023, 11, 27), words="下周一"), MONDAY, say)
    assert ok and reply["key"] == "confirmation_day_yes" and reply["day"] == "下周一（11月27日，周一）"


def test_a_weekday_outside_the_window_names_the_nearest_days(campaign):
    reply, ok = when.confirmation_on(campaign, span(dt.date(2023, 11, 24), words="这周五"), MONDAY, say)
    assert not ok and reply["key"] == "confirmation_day_no"
    assert reply["nearest"]["days"] == "11月27、28、29、30日（周一、周二、周三、周四）"


def test_a_holiday_inside_the_window_is_not_a_confirmation_day(campaign):
    # 2023-09-29 is the Mid-Autumn holiday: the days still to come in September, then those of October.
    reply, ok = when.confirmation_on(campaign, span(dt.date(2023, 9, 29)), dt.date(2023, 9, 27), say)
    assert not ok
    september, october = reply["nearest"]["days"].split("；")
    assert september.startswith("9月27、28日") and october.startswith("10月26、27、30日")


def test_a_day_asked_in_the_window_lists_its_days_from_today(campaign):
    # Asked on 2023-10-20 about Saturday the 28th: the 26th and 27th come before it and count too.
    reply, ok = when.confirmation_on(campaign, span(dt.date(2023, 10, 28)), dt.date(2023, 10, 20), say)
    assert not ok and reply["nearest"]["days"].startswith("10月26、27、30日")


def test_a_working_day_after_a_weekend_in_the_window_counts(campaign):
    # October 2023: the 28th and 29th are a weekend, the 30th (a Monday) is still a confirmation day.
    reply, ok = when.confirmation_on(campaign, span(dt.date(2023, 10, 30)), dt.date(2023, 10, 27), say)
    assert ok and reply["key"] == "confirmation_day_yes"


def test_a_range_lists_its_days(campaign):
    reply, ok = when.confirmation_on(campaign, span(MONDAY, dt.date(2023, 11, 30), "这个月"), MONDAY, say)
    assert ok and reply["days"] == "11月27、28、29、30日（周一、周二、周三、周四）"


def test_after_the_last_window_the_nearest_are_the_last_days(campaign):
    # Asked on Monday 2023-11-20 about the 30th of December: November's days to come, then December's last.
    reply, ok = when.confirmation_on(campaign, span(dt.date(2023, 12, 30)), MONDAY, say)
    november, december = reply["nearest"]["days"].split("；")
    assert (
        not ok and november.startswith("11月27、28、29、30日") and december.startswith("12月26、27、28、29日")
    )
    reply, ok = when.confirmation_on(campaign, span(dt.date(2024, 1, 2)), dt.date(2023, 12, 30), say)
    assert not ok and reply["nearest"]["key"] == "confirmation_over"


def test_period_claims(campaign):
    open_reply, truth = when.period_on(campaign, span(MONDAY, words="今天"), MONDAY, "closed", say)
    assert open_reply["key"] == "period_open" and truth is False
    last, truth = when.period_on(
        campaign, span(dt.date(2023, 12, 31)), dt.date(2023, 12, 31), "last_day", say
    )
    assert last["key"] == "period_last_day" and truth is True
    # a day after the end, asked before it ("明年3月份才截止吧"): beyond the period, which has not ended yet
    beyond, truth = when.period_on(campaign, span(dt.date(2024, 1, 1)), dt.date(2023, 12, 31), "open", say)
    assert beyond["key"] == "period_beyond" and truth is False
    over, truth = when.period_on(campaign, span(dt.date(2024, 1, 3)), dt.date(2024, 1, 2), "open", say)
    assert over["key"] == "period_over" and truth is False


def test_the_last_confirmation_day_of_a_month(campaign):
    # September 2023: the 29th and 30th are holidays, so the 28th is the month's last confirmation day.
    reply, truth = when.confirmation_last(campaign, span(dt.date(2023, 9, 28)), dt.date(2023, 9, 28), say)
    assert truth and reply["last"].startswith("9月28日")
    reply, truth = when.confirmation_last(campaign, span(dt.date(2023, 12, 28)), dt.date(2023, 12, 27), say)
    assert not truth and reply["last"].startswith("12月29日")


def test_asked_whether_the_days_are_over_the_verdict_turns(campaign):
    # Saturday 2023-10-28: Monday the 30th is still a confirmation day, so "已经过了吗" is answered no.
    month = span(dt.date(2023, 10, 1), dt.date(2023, 10, 31), "这个月")
    reply, ok = when.confirmation_on(campaign, month, dt.date(2023, 10, 28), say, over=True)
    assert ok and reply["verdict"] is False
    reply, ok = when.confirmation_on(campaign, month, dt.date(2023, 10, 31), say, over=True)
    assert not ok and reply["verdict"] is True


def test_a_day_of_every_month_is_checked_against_the_rule(campaign):
    # "每个月31号可以去确认吗": no, whatever weekday the coming 31st is; "每月28号": yes (on working days).
    reply, ok = when.confirmation_on(
        campaign,
        DateSpan(dt.date(2023, 12, 31), dt.date(2023, 12, 31), "每月31日", monthly=True),
        MONDAY,
        say,
    )
    assert not ok and reply["key"] == "confirmation_month_day_no" and reply["day"] == "31"
    assert reply["verdict"] is False
    reply, ok = when.confirmation_on(
        campaign,
        DateSpan(dt.date(2023, 11, 28), dt.date(2023, 11, 28), "每月28日", monthly=True),
        MONDAY,
        say,
    )
    assert ok and reply["key"] == "confirmation_month_day_yes" and reply["verdict"] is True
