import datetime as dt

import pytest

from bot.kernel.yamlfile import load_yaml
from nlu.aspects import DEFAULT_ASPECTS_FILE
from nlu.dates import DateReader

MONDAY = dt.date(2023, 11, 20)


@pytest.fixture(scope="module")
def reader():
    return DateReader(load_yaml(DEFAULT_ASPECTS_FILE.read_text(encoding="utf-8"), plain=True)["dates"])


def d(month, day, year=2023):
    return dt.date(year, month, day)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("今天能去确认吗", d(11, 20), d(11, 20)),
        ("明天可以去吗", d(11, 21), d(11, 21)),
        ("后天呢", d(11, 22), d(11, 22)),
        ("这周五能确认吗", d(11, 24), d(11, 24)),
        ("下周一去行不行", d(11, 27), d(11, 27)),
        ("下个星期三", d(11, 29), d(11, 29)),
        ("星期天", d(11, 26), d(11, 26)),
        ("这个周末", d(11, 25), d(11, 26)),
        ("下周能去吗", d(11, 27), d(12, 3)),
        ("这个月还能确认吗", d(11, 20), d(11, 30)),  # the part of the month still ahead
        ("月底", d(11, 24), d(11, 30)),
        ("下个月", d(12, 1), d(12, 31)),
        ("12月还能报名吗", d(12, 1), d(12, 31)),
        ("12月底", d(12, 25), d(12, 31)),
        ("11月28号", d(11, 28), d(11, 28)),
        ("2023年12月30日", d(12, 30), d(12, 30)),
        ("26号能去吗", d(11, 26), d(11, 26)),
        ("元旦后还能确认吗", d(1, 2, 2024), d(1, 2, 2024) + dt.timedelta(days=399)),
        # a month of next year, not this month's end
        ("这次继续教育搞到明年三月底吧", d(3, 25, 2024), d(3, 31, 2024)),
        ("明年3月份还能学吗", d(3, 1, 2024), d(3, 31, 2024)),
        ("下一年十一月", d(11, 1, 2024), d(11, 30, 2024)),
    ],
)
def test_relative_dates_resolve_against_today(reader, text, first, last):
    (span,) = reader.read(text, MONDAY)
    assert (span.first, span.last) == (first, last)


def test_a_weekday_already_past_means_the_coming_one(reader):
    saturday = dt.date(2023, 11, 25)
    (span,) = reader.read("周五能去吗", saturday)
    assert span.first == d(12, 1)


def test_messages_without_dates_name_none(reader):
    for text in ("资格确认在哪里", "一周学几个学时", "每月26到30日", "岳阳大道36号", "费用多少"):
        assert reader.read(text, MONDAY) == (), text


def test_a_day_named_inside_a_range_refines_it():
    import datetime as dt

    from nlu.aspects import AspectReader
    from nlu.normalize import Normalizer

    reader = AspectReader.load(Normalizer({}, {}))
    spans = reader.read("月底28号能去确认吗", dt.date(2023, 11, 20)).dates
    assert [(s.first, s.last) for s in spans] == [(dt.date(2023, 11, 28), dt.date(2023, 11, 28))]


def test_a_day_of_a_named_month_is_that_day():
    import yaml

    from nlu.aspects import DEFAULT_ASPECTS_FILE
    from nlu.dates import DateReader

    reader = DateReader(yaml.safe_load(DEFAULT_ASPECTS_FILE.read_text(encoding="utf-8"))["dates"])
    today = dt.date(2023, 11, 20)
    assert [s.first for s in reader.read("下个月28号", today)] == [dt.date(2023, 12, 28)]
    assert [s.first for s in reader.read("这个月28号", today)] == [dt.date(2023, 11, 28)]
    assert [s.first for s in reader.read("月底31号", today)] == [dt.date(2023, 12, 31)]  # November has none


def test_a_day_of_every_month_is_read_as_such(reader):
    # "每个月31号": the coming 31st (20 November has none: 31 December), marked as every month's
    (span,) = reader.read("每个月31号可以去确认吗", MONDAY)
    assert (span.first, span.words, span.monthly) == (dt.date(2023, 12, 31), "每月31日", True)
    assert reader.read("每个月26号到30号都能去吗", MONDAY) == ()  # the rule's range, not a day
