import datetime as dt

from knowledge import calendar


def test_windows_follow_the_official_calendar(campaign):
    windows = {w.key: [d.day for d in w.days] for w in calendar.confirmation_windows(campaign)}
    assert windows == {
        "2023-07": [26, 27, 28],
        "2023-08": [28, 29, 30],
        "2023-09": [26, 27, 28],  # 29th and 30th: Mid-Autumn and National Day holidays
        "2023-10": [26, 27, 30],
        "2023-11": [27, 28, 29, 30],
        "2023-12": [26, 27, 28, 29],
    }


def test_adjusted_working_weekend_counts_as_a_workday():
    assert calendar.is_workday(dt.date(2023, 10, 7))  # a Saturday made a working day
    assert not calendar.is_workday(dt.date(2023, 9, 29))


def test_next_window_keeps_only_days_ahead(campaign):
    window = calendar.next_window(campaign, dt.date(2023, 11, 28))
    assert window is not None
    assert [d.day for d in window.days] == [28, 29, 30]
    assert calendar.next_window(campaign, dt.date(2023, 12, 30)) is None


def test_days_left_counts_to_the_deadline(campaign):
    assert calendar.days_left(campaign, dt.date(2023, 11, 24)) == 37
    assert calendar.days_left(campaign, dt.date(2023, 12, 31)) == 0


def test_format_days_names_weekdays():
    days = (dt.date(2023, 11, 27), dt.date(2023, 11, 28))
    assert calendar.format_days(days) == "11月27、28日（周一、周二）"
    assert calendar.format_days(days, short=True) == "11月27、28日"
