"""The asker's story after the question left out, hours in shorthand or told alone, hours claimed still
missing, a county or a stamp left out claimed, hearsay in Hunan speech, a follow-up that leans on the question
before it (sets GD–GF, stop 29).

Through the whole brain (real classifier, aspect reader, campaign file) at a fixed moment.
"""

import datetime as dt

import pytest

TZ = dt.timezone(dt.timedelta(hours=8))


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    """A moment of 2023 in Asia/Shanghai."""
    return dt.datetime(2023, month, day, hour, tzinfo=TZ)


MONDAY = at(11, 20)


@pytest.mark.parametrize(
    ("text", "now", "start", "includes"),
    [
        # 线上 and 线下 by their first characters; "二五" digit by digit
        ("上18下14够吗", MONDAY, "不够。", "还差线上2学时"),
        ("上二五下十二够", MONDAY, "够。", "学时已经够了"),
        # hours told with nothing else; the least offline proof asked as "线下最少几个"
        ("网上十五个", MONDAY, "不够。", "还差线上17学时"),
        ("线下最少几个", MONDAY, "", "不少于12学时"),
        # the rest of the hours claimed still missing is no hours done
        (
            "我线下证明传了12学时，线上只学了8学时，是不是还要在线上学12学时？",
            MONDAY,
            "要。",
            "还差线上12学时",
        ),
        # no offline at all: the hours told are online; a proof not uploaded counts nothing
        (
            "线下么子培训都冇参加，在手机上学满哒32学时，这样算不算合格？",
            MONDAY,
            "算合格。",
            "线上学满32学时",
        ),
        (
            "线上20学时学完哒，线下证明12学时也盖好章哒，就是还冇传上去，这样算够了吧？",
            MONDAY,
            "不够。",
            "上传",
        ),
        # the asker's story after the question is no second question
        ("网站是www.hnjsrcw.com吧？我崽打给我的，我对一下", MONDAY, "是的。", "hnjsrcw"),
        ("钱是确认合格以后再交对吧？我怕先交哒确认又冇通过", MONDAY, "是的。", "合格后缴纳"),
        # a stamp left out, a county chosen, hearsay said 港
        ("线下培训的证明我只签个字，公司不盖章行不行", MONDAY, "不行。", "签字盖章"),
        ("报名选华容县吗", MONDAY, "不是。", "岳阳市房地产业协会"),
        ("报名登记选单位的时候，是选“岳阳市—岳阳市房地产业协会”吧？", MONDAY, "是的。", "报名登记"),
        ("我记得群里有人港确认是去日报社305，是305吧？", MONDAY, "是的。", "305室"),
        # a day asked beside the way there (not parking); a follow-up that leans on the question before it
        ("今天26号，我已经坐车到岳阳哒，今天能确认啵？", at(11, 26, 9), "不可以。", "周日"),
        ("这个月我错过哒，今天31号去还行不行？不行的话下一次是哪天？", at(7, 31, 9), "不可以。", "8月28"),
        # the period's end claimed as the year's end; a room asked in Hunan speech; the earliest day as 好久
        ("年底截止对吧", MONDAY, "是的。", "12月31日"),
        ("么子房间", MONDAY, "", "305室"),
        # a month missed is not the month asked; the period begun by a day; the right account claimed
        ("这个月错过了下个月还有得确认啵", at(12, 15, 10), "不可以。", "下个月没有"),
        ("继续教育明天就开始了吧", at(7, 19, 10), "是的。", "7月20日"),
        ("公众号名字叫湖南建设人才是吧", MONDAY, "是的。", "湖南建设人才"),
        ("Which room do I go to for the confirmation?", MONDAY, "", "305室"),
        # no yes invented: another's signature, the record's validity, progress shared by devices, a pass
        ("登记表上本人签字那里能不能让我崽帮我代签？", MONDAY, "通知只说", "13762061108"),
        ("证书上的这个继续教育记录有冇有效期？", MONDAY, "证书的有效期", "13762061108"),
        ("湖南建设人才公众号里面的学习进度跟电脑上是不是同步的？", MONDAY, "通知只说", "13762061108"),
        ("我学满了是不是就直接合格哒，证书上自动就有记录？", MONDAY, "没有。", "审核"),
        ("交了钱就直接算合格了吧", MONDAY, "不", "审核确认"),
        # binding this chat asked about: answered, no prompt for an ID number
        ("绑定之后能干嘛", MONDAY, "在这里绑定", "学员记录"),
    ],
)
def test_replies(ask, text, now, start, includes):
    reply = ask(text, now)
    assert reply.startswith(start) and includes in reply, reply


def test_parking_is_no_question_of_the_day(ask):
    """Parking by the office, asked with a day: the notice is silent, no 可以 for the day."""
    reply = ask("我准备这个月底开车去，日报社那边好停车啵？")
    assert not reply.startswith("可以") and "13762061108" in reply, reply


def test_a_quoted_line_asked_about_is_no_question_of_opting_out(ask):
    """The engine's reading of "…这句么子意思" as "what does opting out mean" is overruled: no 退订 named."""
    reply = ask("“在现场资格确认后合格后缴纳” 这句么子意思，读起来拗口")
    assert "退订" not in reply and "TD" not in reply, reply
