import datetime as dt

import pytest

from knowledge.personal import render_personal
from tests.records import trainee

NOW = dt.datetime(2023, 11, 24, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.mark.parametrize(
    ("online", "offline", "expected"),
    [
        (25, 0, "还差线上7学时。"),
        (23.5, 4, "还差线下证明8学时"),
        (10, 4, "还差线上10学时、线下证明8学时"),  # both kinds short: neither is left out
        (32, 0, "学时已经够了。"),
    ],
)
def test_hours_reply_names_every_gap(campaign, online, offline, expected):
    text = render_personal(campaign, "my_hours", trainee(online_hours=online, offline_hours=offline), NOW)
    assert expected in text
