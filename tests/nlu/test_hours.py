import datetime as dt

import pytest

from nlu.hours import HoursMention, read_hours
from nlu.numerals import chinese_number, read_people, read_years


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("20", 20.0),
        ("7.5", 7.5),
        ("二十", 20.0),
        ("三十二", 32.0),
        ("十二", 12.0),
        ("两", 2.0),
        ("十个半", 10.5),
    ],
)
def test_numbers_as_people_write_them(text, value):
    assert chinese_number(text) == value


@pytest.mark.parametrize(
    ("text", "mention"),
    [
        ("线上学了20学时，线下证明12学时，够了吗", HoursMention(online=20, offline=12)),
        ("线上22学时线下10学时够吗", HoursMention(online=22, offline=10)),
        ("32个学时都在网上学行不行", HoursMention(online=32)),
        ("我学了30个学时，够了没有", HoursMention(unspecified=30)),
        ("线上二十学时够不够", HoursMention(online=20)),
        ("上传了12个学时的证明", HoursMention(offline=12)),
    ],
)
def test_hours_stated_and_their_kind(text, mention):
    assert read_hours(text) == mention


@pytest.mark.parametrize(
    "text", ["一年要学多少学时", "100元", "2022年的证", "11月28号", "岳阳大道36号305室", "附件4"]
)
def test_other_numbers_are_not_hours(text):
    assert read_hours(text) is None


def test_years_two_digits_read_in_this_century():
    assert read_years("我是22年拿的证", dt.date(2023, 11, 20)) == (2022,)
    assert read_years("2019年考的证", dt.date(2023, 11, 20)) == (2019,)


def test_a_chinese_numeral_counts_only_before_an_hours_word():
    from nlu.hours import read_hours

    assert read_hours("32学时是线上线下加在一起算的吗").online is None  # 一起 is not one hour online
    stated = read_hours("线上二十个线下十二个够不够")
    assert (stated.online, stated.offline) == (20.0, 12.0)


def test_hours_written_as_n_ge_with_the_kind_nearby():
    from nlu.hours import read_hours

    stated = read_hours("网上学了15个，公司培训有17个，够啵")
    assert (stated.online, stated.offline) == (15.0, 17.0)
    assert read_hours("我有2个岗位") is None
    assert read_hours("线上学了30个了，差2个咋搞").online == 30.0


def test_hours_in_chinese_numerals_with_one():
    assert read_hours("线上学了二十一个学时").online == 21  # 一 is a numeral of the hours, as 二 is


@pytest.mark.parametrize(
    ("text", "people"),
    [("我们公司40个工人", 40), ("两个人交多少钱", 2), ("俩人", 2), ("十二名员工", 12), ("我一个人", None)],
)
def test_people_counted(text, people):
    assert read_people(text) == people


def test_hours_asked_to_go_below_or_above_a_number_are_read_with_their_kind() -> None:
    from nlu.hours import read_bound

    assert read_bound("线上学时能不能少于20") == ("online", 20.0, False)
    assert read_bound("线下能少于12个学时吗") == ("offline", 12.0, False)
    assert read_bound("一年能不能少于32个学时") == ("unspecified", 32.0, False)
    assert read_bound("每年不少于32学时吗") is None  # the rule's own words ask nothing below
    assert read_bound("线上学了20学时") is None
    assert read_bound("线上冇满20个，线下再多也不作数咯") == ("online", 20.0, False)
    assert read_bound("线上学时可以超过20个吗") == ("online", 20.0, True)
    assert read_bound("线上超过20的部分算不算进32里") == ("online", 20.0, True)
    assert read_bound("线上超过20了还要证明吗") is None  # hours stated, not a bound asked


def test_a_part_of_the_hours_named_is_what_was_done() -> None:
    from nlu.hours import read_hours

    assert read_hours("线上要求的20学时我完成了五分之三").online == 12.0
    assert read_hours("线上只学了32的一半").online == 16.0
    assert read_hours("32个学时我完成了四分之三").unspecified == 24.0
    assert read_hours("线上20学时完成了五分之七").online == 20.0  # more than the whole: no part


def test_a_chinese_numeral_before_a_hunan_particle_is_hours() -> None:
    from nlu.hours import read_hours

    assert read_hours("网上三十一咯 够冇").online == 31.0
