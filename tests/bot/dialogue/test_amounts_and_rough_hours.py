"""Amounts in thousands or named alone, hours of a training asked about, hours told roughly, as a part or without
their kind, trouble in Hunan speech, and leads for 算合格 (sets GA–GC, HD and HE, stop 30).

Through the whole brain (real classifier, aspect reader, campaign file) on Monday 2023-11-20.
"""

import datetime as dt

import pytest

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("text", "start", "includes"),
    [
        # a total in thousands is read as written (folding once made 2000 into 200)
        ("20个人的话培训费一共是2000元，对吗？", "是的。", "20人共2000元"),
        ("20个同事交1000块够不够？", "不够。", "20人共2000元"),
        ("20个人一共交3000对吧", "不是。", "20人共2000元"),
        # the hours of a training asked whether they count are the asker's, no claim about the rule
        ("我们公司组织了一次8学时的安全技术培训，这个能不能算进继续教育学时？", "可以。", "计入学时"),
        # hours of no kind: what they lack of the yearly 32; 学哒 is Hunan for 学了
        ("我才学哒十个学时 总共还要学好多", "", "还差22学时"),
        # online and offline told, the total claimed enough: the hours are checked
        ("线上十二学时线下证明上传了二十学时 总共32了是不是就够哒", "不是。", "还差线上8学时"),
        ("线上跟线下加起来满32就行了吧", "不是。", "线上不少于20学时"),
        # "三十几个学时" tells a number roughly and asks nothing: the yes/no question after it is read
        ("线下证明传哒三十几个学时 线上一点冇学 可以啵", "不可以。", "线上学习是必须的"),
        # Hunan 好久 for when
        ("下次资格确认是好久", "", "26"),
        # a part of the hours named, done
        ("32个学时我完成了四分之三，全部是线上的，还要搞好多", "不够。", "还差线上8学时"),
        ("线上只学了32的一半，线下证明传哒十二学时，线上还差几个", "不够。", "还差线上4学时"),
        # an amount of money named with no word of paying
        ("继续教育是200块吧", "不是。", "100元/人"),
        # trouble in Hunan speech: the notice is silent
        ("审核冇过咋搞", "", "13762061108"),
        ("账号锁哒", "", "13762061108"),
        # a second post held "又兼"; another's WeChat binding for one; what comes before the first lesson
        ("我是土建质量员又兼哒资料员，钱是不是只交一回", "是。", "一人多岗只用缴纳一次"),
        ("老婆微信帮我绑行啵", "不行。", "本人微信"),
        ("开始刷课之前要先搞么子", "", "人脸识别"),
        # an English question with thanks: the question is answered
        ("what's the website to sign up? thx", "", "hnjsrcw"),
        # a new WeChat: the platform's binding, on which the notice is silent (not this chat's 解绑)
        ("换了个微信号 原来绑定的怎么解绑", "通知只说", "13762061108"),
        # the audit asked beside the hours; "参加了好多培训" says many, asking nothing
        ("学满32学时是不是就自动合格了 不用审核吧", "不是。", "审核确认"),
        ("我在公司参加了好多培训 线下证明有36学时 网上还冇学 够了啵", "不够。", "还差线上20学时"),
        # a long run-on: the hours told before the question are read with it
        (
            "线上十九个学时，线下证明十三个学时，加起来三十二，我们资料员妹子港线上差一点，到底还差好多",
            "不够。",
            "还差线上1学时",
        ),
        # a voice run-on: the clause that plainly asks, not the remark after it; hours told before a question
        # about the proof
        (
            "线上学满32个学时哒，还要不要再去搞线下的证明上传，我们公司今年冇组织培训，开不出证明",
            "不用。",
            "线上学满32学时",
        ),
        # a form fetched on paper at the office: no, printed online / downloaded from the platform
        (
            "登记表是不是要到岳阳日报社那边现场去领纸质的来填？我屋里打印机坏哒，如果是现场领就好",
            "不是。",
            "自助打印",
        ),
        ("开始看视频之前还要先搞么子，我怕搞错", "", "人脸识别"),
        # the fee is per person: a company named as the unit is 不是; denied beside the person, 是的
        ("这个钱是不是按公司来交的，一个公司交一笔就行", "不是。", "按人缴纳"),
        ("100元是按人交不是按单位交，对吧", "是的。", "按人缴纳"),
        # a courtesy, a worry or who told it says nothing the notice would have to cover
        ("身份证复印件要带吧 我怕忘了", "是的。", "身份证复印件"),
        ("早上好 打扰下 岗位汇总表跟登记表都要带啵", "要。", "岗位汇总表"),
        ("我屋里侄儿港是在三零五室 是啵", "是的。", "305室"),
        # a question about binding starting with 绑定 is no command: answered, no prompt for an ID number
        ("绑定的微信要是本人自己的吧", "是的。", "本人微信"),
        # a stamp left out said "不盖章也要得"; the face check claimed after studying; the period's end asked
        ("线下的证明不盖章也要得吧", "不可以。", "签字盖章"),
        ("人脸识别是学完之后再做的吧", "不是。", "学习前要先完成微信绑定和人脸识别"),
        ("今年这个继续教育搞到哪天为止", "", "2023年12月31日"),
        ("这个继续教育搞到么子时候", "", "2023年12月31日"),
        # a list numbered "一，…；二，…" and a story after it: each question answered
        (
            "两个事：一，去确认要带么子；二，那一百块钱么子时候交。我记性差，你港慢点，我拿笔记",
            "1. ",
            "岗位汇总表",
        ),
        # a county's office claimed as the place of the confirmation
        ("在华容住建局确认是啵", "不是。", "岳阳日报社305室"),
        # 算合格 asked: 是的，合格 / 不合格; 能算合格: 可以
        ("线上20学时，线下证明12学时，算合格不", "是的，合格。", "已经够了"),
        ("线上刚好20，线下证明只有11学时，算合格吗", "不合格。", "还差线下证明1学时"),
        ("我线上学够了32 线下证明一个冇传 能算合格啵", "可以。", "线上学满32学时"),
    ],
)
def test_replies(ask, text, start, includes):
    reply = ask(text)
    assert reply.startswith(start) and includes in reply, reply


@pytest.mark.parametrize(
    ("text", "now", "start"),
    [
        # the asker's remark after the question ("我怕…", "应该冇问题吧") is not what is asked
        (
            "我跟老板请好假哒，准备这个月28号去岳阳搞确认，28号那天能去吧，我怕正好碰到礼拜天冇人上班",
            dt.datetime(2023, 8, 20, 10, tzinfo=TZ),
            "可以。8月28日",
        ),
        (
            "我现在在湘阴汽车站等车，今天能去岳阳日报社那边确认吧，我看日子是26号，应该冇问题吧",
            dt.datetime(2023, 9, 26, 9, tzinfo=TZ),
            "可以。今天",
        ),
    ],
)
def test_a_remark_after_the_question_is_left_out(ask, text, now, start):
    reply = ask(text, now)
    assert reply.startswith(start), reply


def test_missing_the_days_is_no_question_of_validity(ask):
    """ "再不去就过期哒" about the confirmation days: the days of this month, not the certificate's validity."""
    text = "这个月是最后一个月哒吧，这个月哪几天可以去确认，我这回一定要去，再不去就过期哒"
    reply = ask(text, dt.datetime(2023, 12, 20, 10, tzinfo=TZ))
    assert "12月26" in reply and "有效期" not in reply, reply


def test_time_left_to_study_is_the_period_s_end(ask):
    """ "还赶得上吗" about studying: yes, with the days left before the period's end."""
    reply = ask("我线上才学了一半，现在还赶得上今年的吗", dt.datetime(2023, 12, 10, 10, tzinfo=TZ))
    assert reply.startswith("可以。") and "离截止还有21天" in reply, reply
