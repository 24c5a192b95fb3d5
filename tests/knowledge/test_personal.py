import datetime as dt

import pytest

from knowledge.answers import render
from knowledge.personal import render_personal
from tests.records import trainee

NOW = dt.datetime(2023, 11, 24, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
MIXED = "线上不少于20学时+上传线下培训证明不少于12学时"


@pytest.mark.parametrize(
    ("online", "offline", "expected"),
    [
        (25, 0, f"还差线上7学时（线上学满32学时）；另一种办法：线下证明12学时（{MIXED}）。"),
        (23.5, 4, f"还差线下证明8学时（{MIXED}）；另一种办法：线上8.5学时（线上学满32学时）。"),
        # both kinds short: neither is left out, and the cheaper way comes first
        (10, 4, f"还差线上10学时、线下证明8学时（{MIXED}）；另一种办法：线上22学时（线上学满32学时）。"),
        (32, 0, "学时已经够了（线上学满32学时）。"),
        (21, 12, f"学时已经够了（{MIXED}）。"),
    ],
)
def test_hours_reply_names_every_gap(campaign, online, offline, expected):
    text = render_personal(campaign, "my_hours", trainee(online_hours=online, offline_hours=offline), NOW)
    assert expected in text


def test_general_and_personal_replies_state_the_rule_in_the_same_words(campaign):
    general = render(campaign, "ask_hours", NOW)
    personal = render_personal(campaign, "my_hours", trainee(online_hours=25), NOW)
    for route in (MIXED, "线上学满32学时"):
        assert route in general and route in personal


def test_progress_lists_every_unfinished_step_and_the_hours_missing(campaign):
    record = trainee(registered=True, online_hours=10, offline_hours=4)
    text = render_personal(campaign, "my_progress", record, NOW)
    steps = text[text.index("还要做：") :].splitlines()[1:]
    assert [s.split("（")[0].split("，")[0] for s in steps] == [
        "1. 到岳阳大道36号岳阳日报社305室资格确认",
        "2. 缴培训费100元",
        "3. 线上学习",
        "4. 上传线下学时证明",
    ]
    assert "还差10学时" in steps[2] and "还差8学时" in steps[3]
    assert "另一种办法：线上22学时" in text


def test_short_personal_replies_fit_one_sms(campaign):
    for online, offline in ((0, 0), (10, 4), (25, 0), (19.5, 11.5)):
        record = trainee(online_hours=online, offline_hours=offline)
        for intent in ("my_hours", "my_qualified", "my_progress", "my_todo"):
            assert len(render_personal(campaign, intent, record, NOW, form="short")) <= 70
