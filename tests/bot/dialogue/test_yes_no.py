"""Yes/no questions as trainees type them: the reply starts with the answer, and never with an invented one.

Through the whole brain (real classifier, aspect reader, campaign file) at a fixed moment.
"""

import datetime as dt

import pytest

from bot.dialogue.brain import Brain
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound
from nlu.claims import ClaimChecker

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2023, 11, 20, 10, tzinfo=TZ)  # a Monday; the next confirmation days are 27-30 Nov
HOTLINES = ("0730-8981006", "13762061108")


@pytest.fixture(scope="module")
def ask(campaign, interpreter):
    def run(text, now=NOW, channel="cli"):
        brain = Brain(campaign, interpreter, FixedClock(now))
        return brain.handle(Inbound(channel, "u1", text))

    return run


@pytest.mark.parametrize(
    ("text", "now", "start", "includes"),
    [
        # Hunan 啵, a pinyin 马 for 吗, a bare question mark: all read as 吗
        ("明天能去确认啵", dt.datetime(2023, 11, 26, 10, tzinfo=TZ), "可以", "11月27日"),
        ("下周二去确认可以马", NOW, "可以", "岳阳大道36号"),
        ("明天确认?", NOW, "不可以", "11月27"),
        ("26号去确认要得不", NOW, "不可以", "周日"),
        ("9月29号能去确认啵", dt.datetime(2023, 9, 20, 10, tzinfo=TZ), "不可以", "法定节假日"),
        ("这个月还能确认冇", dt.datetime(2023, 10, 31, 10, tzinfo=TZ), "不可以", "11月27"),
        # a required step left out
        ("不绑微信能直接学吗", NOW, "不可以", "本人微信"),
        ("冇报名能直接去确认啵", NOW, "不可以", "网上报名"),
        ("只带登记表 冇带身份证复印件 行不行", NOW, "不行", "身份证复印件"),
        # someone else's or a shared WeChat
        ("用我堂客的微信绑定要得啵", NOW, "不可以", "本人微信"),
        ("一个微信能绑两个人啵", NOW, "不可以", "本人微信"),
        # what the notice says about skipping it
        ("冇参加继续教育，证书上会有记录啵", NOW, "不会", "无继续教育记录"),
        ("我2023年3月取的证，今年不搞要得啵", NOW, "可以", "次年"),
        ("资格确认能网上搞啵", NOW, "不可以", "现场"),
        ("登记表要本人签子啵", NOW, "要", "本人签字"),
        ("学费是按岗位收的吧", NOW, "不是", "按人缴纳"),
        # hours written "N个"
        ("网上学了15个，公司培训有17个，够啵", NOW, "不够", "线上5学时"),
        ("线下的冇得证明算不算", NOW, "不算", "附件4"),
        # "…是吧" confirmed only when the reply states the claim
        ("确认是在岳阳日报社那里吧", NOW, "是的", "305室"),
        ("公众号是湖南建设人才吧", NOW, "是的", "湖南建设人才"),
    ],
)
def test_the_reply_starts_with_the_answer(ask, text, now, start, includes):
    reply = ask(text, now).text
    assert reply.startswith(start + "。"), reply
    assert includes in reply, reply


@pytest.mark.parametrize(
    "text",
    [
        "培训费能报销啵",  # the notice says the fee, nothing about reimbursement
        "有冇得微信群可以问",
        "身份证复印件要复印正反两面吗",
        "岗位汇总表要公司盖章吗",
        "人脸识别要摘眼镜不",
    ],
)
def test_no_yes_is_invented_for_what_the_notice_does_not_say(ask, text):
    reply = ask(text)
    assert reply.intent == "ask_not_in_notice", reply
    assert reply.text.startswith("通知只说："), reply.text
    assert "没有说明" in reply.text and all(h in reply.text for h in HOTLINES), reply.text
    for word in ("可以。", "要。", "是的。", "有。"):
        assert word not in reply.text, reply.text


def test_sms_keeps_the_unanswered_reply_short(ask):
    reply = ask("培训费能报销啵", channel="sms").text
    assert "没有说明" in reply or "未说明" in reply
    assert len(reply) <= 134, reply


@pytest.mark.parametrize(
    ("question", "confirmed"),
    [
        ("确认是在岳阳日报社那里吧", True),
        ("确认地点是岳阳大道36号吗", True),
        ("确认是在306室吧", False),  # a number the reply does not give
        ("资格确认是在周末吧", False),  # 周末 is not in the reply
        ("不用带身份证吧", False),  # a negated claim is never confirmed
    ],
)
def test_claims_are_confirmed_only_when_the_reply_states_them(question, confirmed):
    checker = ClaimChecker(["是", "在", "的", "那里", "吧", "要", "用"], ["是吧", "吗"], "不没")
    reply = "资格确认地点：岳阳大道36号岳阳日报社305室。资格确认要带：身份证复印件。"
    assert checker.confirmed(question, reply) is confirmed


def test_the_fallback_is_honest_and_gives_both_numbers(ask):
    reply = ask("咕噜咕噜哇啦哇啦")
    assert reply.intent == "nlu_fallback"
    assert "没有说明" in reply.text and "没看懂" in reply.text
    assert all(h in reply.text for h in HOTLINES)


def test_each_question_of_a_numbered_list_is_answered(ask):
    reply = ask("1.培训费好多 2.在哪里确认 3.要带什么").text
    lines = [line for line in reply.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(lines) == 3, reply
    assert "100元" in lines[0] and "305室" in lines[1] and "身份证复印件" in lines[2]


def test_sms_answers_the_first_question_of_a_list(ask):
    reply = ask("1.培训费好多 2.在哪里确认", channel="sms").text
    assert "100" in reply and "305" not in reply


@pytest.mark.parametrize(
    ("text", "start", "includes"),
    [
        ("Can I do all 32 hours online?", "可以。", "32"),
        ("Is 20 hours of online study enough?", "不够。", "12学时"),
        ("Is there a refund if I quit?", "", "没有说明"),
        ("Can I study on my phone?", "可以。", "湖南建设人才"),
    ],
)
def test_an_english_question_gets_a_chinese_answer_to_it(ask, text, start, includes):
    reply = ask(text).text
    assert reply.startswith(start) and includes in reply, reply
    assert "中文" in reply and all(h in reply for h in HOTLINES)
