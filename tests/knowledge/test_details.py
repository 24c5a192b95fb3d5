import datetime as dt

import pytest

from knowledge.answers import date_values, local_date
from knowledge.check_details import SMS_TWO_SEGMENTS
from knowledge.details import Composer
from nlu.answer_eval import SILENCE
from nlu.aspects import AspectReader
from nlu.interpreter import PERSONAL_INTENTS

NOW = dt.datetime(2023, 11, 20, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a Monday
HOTLINES = ("0730-8981006", "13762061108")


@pytest.fixture(scope="module")
def compose(campaign, interpreter):
    composer = Composer(campaign, PERSONAL_INTENTS)
    reader = AspectReader.load(interpreter.normalizer)

    def run(intent, text, form="full", now=NOW):
        reading = reader.read(text, local_date(campaign, now))
        return composer.compose(intent, reading, now, form=form, values=date_values(campaign, now))

    return run


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("ask_wechat_binding", "人脸识别一直失败怎么办"),
        ("ask_wechat_binding", "微信绑错人了怎么办"),
        ("ask_confirmation", "可以让同事帮我去资格确认吗"),
        ("ask_confirmation", "我在外地去不了现场确认怎么办"),
        ("ask_qualification", "审核要多久"),
        ("ask_fee", "在哪交钱"),
        ("nlu_fallback", "刷脸通不过咋办"),
        ("my_hours", "审核通过了会通知我吗"),  # a personal question the notice cannot answer either
    ],
)
def test_what_the_notice_does_not_cover_says_so_with_both_numbers(compose, intent, text):
    composed = compose(intent, text)
    assert composed is not None and composed.silent and composed.intent == "ask_not_in_notice"
    assert SILENCE.search(composed.text) and all(h in composed.text for h in HOTLINES)
    assert "岳阳大道36号" not in composed.text or "现场办理" in composed.text  # never a procedure as a fix


@pytest.mark.parametrize(
    ("intent", "text", "start", "includes"),
    [
        ("ask_hours", "可以32学时全部在线上学吗", "可以。", "32"),
        ("ask_fee", "两个岗位要交两次钱吗", "不用。", "一人多岗只用缴纳一次"),
        ("ask_audience", "今年刚拿的证要参加吗", "不用。", "次年"),
        ("ask_audience", "2022年考的证今年要参加吗", "要。", "2022年取证的在范围内"),
        ("ask_audience", "2023年拿的证要参加吗", "不用。", "2023年取证的不在其中"),
        ("ask_audience", "明年还要学吗", "要。", "每年"),
        ("ask_wechat_binding", "能用别人的微信绑定吗", "不可以。", "本人微信"),
        ("ask_hours", "线上22学时线下10学时够吗", "不够。", "还差线下证明2学时"),
        ("ask_hours", "线上学了35学时还要传线下证明吗", "不用。", "学时已经够了"),
        ("ask_fee", "是先交钱再去确认吗", "不是。", "合格后再缴"),
        ("ask_confirmation_time", "下周一能去确认吗", "可以。", "岳阳大道36号"),
        ("ask_confirmation_time", "这周五能去资格确认吗", "不可以。", "11月27、28、29、30日"),
        ("ask_period", "今天截止了吗", "还没有。", "离截止还有41天"),
    ],
)
def test_yes_no_questions_start_with_the_answer(compose, intent, text, start, includes):
    composed = compose(intent, text)
    assert composed is not None and composed.text.startswith(start) and includes in composed.text


def test_the_specific_fact_asked(compose):
    assert "hnjsrcw.com" in compose("ask_hours", "学习网站是哪个").text
    table = compose("ask_confirmation_materials", "岗位汇总表在哪里拿").text
    assert "附件3" in table and "身份证复印件" not in table
    posts = compose("ask_posts", "我有两个岗位").text
    # the fee once; the notice says nothing of the hours per post, so neither does the reply
    assert "一次" in posts and "学时" not in posts and "土建施工员" not in posts
    consequence = compose("ask_not_in_notice", "不参加继续教育有什么后果").text
    assert "证书上无继续教育记录" in consequence


def test_a_plain_topic_question_keeps_its_own_answer(compose):
    assert compose("ask_confirmation_place", "资格确认在哪里") is None
    assert compose("ask_fee", "交多少钱") is None


def test_a_general_answer_for_a_personal_question_needs_the_intent_named(compose):
    assert compose("my_hours", "我线上学了20学时够吗").text.startswith("不够。")
    assert compose("my_payment", "我交钱了吗") is None


def test_sms_replies_fit_two_segments(compose):
    for intent, text in [
        ("ask_confirmation_time", "下周一能去确认吗"),
        ("ask_hours", "线上22学时线下10学时够吗"),
        ("ask_wechat_binding", "人脸识别一直失败怎么办"),
        ("ask_fee", "两个岗位要交两次钱吗"),
    ]:
        assert len(compose(intent, text, form="short").text) <= SMS_TWO_SEGMENTS


def test_a_day_asked_again_gets_the_reply_for_how_it_is_asked_this_time(campaign, interpreter):
    """Replies worked out for a day are kept for that day; asking it another way ("已经过了吗") is not
    answered with what was kept for the first way."""
    reader = AspectReader.load(interpreter.normalizer)
    today, values = local_date(campaign, NOW), date_values(campaign, NOW)
    # the same month, led the same way (可以/不可以): only whether it asks if the days are over differs
    texts = ["这个月能确认吗", "这个月的确认过了吗", "这个月26到30号都能去确认吗"]

    def replies(composer):
        found = []
        for text in texts:
            composed = composer.compose(
                "ask_confirmation", reader.read(text, today), NOW, form="full", values=values
            )
            found.append(None if composed is None else composed.text)
        return found

    kept = Composer(campaign, PERSONAL_INTENTS)
    first = replies(kept)
    assert replies(kept) == first  # the second time, from what was kept
    for n, text in enumerate(texts):  # each the same as a composer that never saw the others
        alone = Composer(campaign, PERSONAL_INTENTS).compose(
            "ask_confirmation", reader.read(text, today), NOW, form="full", values=values
        )
        assert first[n] == (None if alone is None else alone.text)
    assert first[0] != first[1]  # 可以 / 不可以
