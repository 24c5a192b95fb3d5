"""Hours stated in the ways tuning sets AW and AX showed, and details claimed wrong by name (stop 24).

Through the whole brain (real classifier, aspect reader, campaign file) at a fixed moment.
"""

import pytest

from nlu.hours import read_hours
from nlu.numerals import arabic_money


@pytest.mark.parametrize(
    ("text", "start", "includes"),
    [
        # an attachment's number is no second post; a decimal is no amount to contradict
        ("线上20学时，附件4证明12学时，合格了吗", "够。", "已经够了"),
        ("线上21.5学时，线下12学时，行不行", "可以。", "已经够了"),
        # hours stated with nothing asked in yes/no form: enough or not, first
        ("线上只学了8个学时，线下有24个学时的证明", "不够。", "还差线上12学时"),
        ("线上27线下5，还差么子", "不够。", "还差线上5学时"),
        # online hours with the online-only way in view, hours asked as enough on any topic
        ("在线学习31学时 没有线下 合格吗", "不够。", "还差线上1学时"),
        ("手机上刷了25课时，线下冇得，够了冇", "不够。", "还差线上7学时"),
        # 参加 joins no clause; last year's hours and the rule's yearly total are not the asker's
        ("线上学了20学时，线下参加公司安全培训14个学时，证明已签字盖章上传，可以了吧", "可以。", "已经够了"),
        ("去年线上学了32，今年线上学15线下17够冇", "不够。", "线上15学时"),
        ("一年32学时我是线上12线下20凑的，行不行", "不行。", "还差线上8学时"),
        # 达标没, 能过不, 算合格啵, 算不算够
        ("线上20学时+企业技术培训证明10学时，达标没", "不够。", "还差线下证明2学时"),
        ("线上22学时，附件4证明13学时，能过不", "能。", "已经够了"),
        ("我线上学了32个学时，但是冇得线下培训，算合格啵", "是的，合格。", "审核"),
        ("线上31学时，差一点点，算不算够", "不够。", "还差线上1学时"),
        # the asker's own 32 is no claim about the rule's 20
        (
            "每年应参加不少于32学时的继续教育,其中线上培训学习不少于20学时 那我全部线上学32个行不行",
            "可以。",
            "已经够了",
        ),
        # a wrong name: the contact, the newspaper, the association, another office or website
        ("咨询电话是找李女士是吧", "不是。", "钟女士"),
        ("资格确认地点在岳阳晚报社305吗", "不是。", "岳阳日报社"),
        ("报名登记的时候选岳阳市—岳阳市建筑业协会对吧", "不是。", "房地产业协会"),
        ("现场确认是不是在市住建局办公楼", "不是。", "岳阳大道36号"),
        ("是不是在湖南省住建厅官网上报名", "不是。", "hnjsrcw.com"),
        ("登录平台是用手机号和密码吧", "不是。", "身份证号码"),
        ("登录要输身份证号码、姓名和密码对吧", "是的。", "身份证号码"),
        # a number asked to confirm; money in Chinese numerals
        ("一年要修36个学时是吗", "不是。", "32学时"),
        ("我记得网上培训费是两百块一个人，是这样吧", "不是。", "100元"),
        # a day asked the other way round ("…不行是吧")
        ("这个工作日是说周六周日不行是吧", "是的。", "不办理"),
        # what the notice does not say: face checks per lesson, electronic stamps
        ("人脸识别是不是每节课都要搞一次", "学习中人脸识别的次数", "13762061108"),
        ("登记表上的章可以用电子章吗", "通知只说", "13762061108"),
        # whether to fill in the proof, not how
        ("我参加了公司组织的技术培训，想抵学时，要不要填附件4上传", "要。", "附件4"),
        # a total for a team asked to confirm; a deadline claimed; a later month asked as in time
        ("我们工地6个人报名都是单岗，每人100，一共交600对不对", "对。", "6人共600元"),
        ("我们公司5个人一共交700吧", "不是。", "5人共500元"),
        ("截止时间是11月30号对吗", "不是。", "12月31日"),
        ("明年1月份再搞来得及吗", "不可以。", "12月31日"),
        ("这次继续教育搞到明年三月底吧", "不是。", "12月31日"),
        ("明年三月份还能学吗", "不可以。", "12月31日"),
        # the attachment a form is, named otherwise or right
        ("报名登记表是附件3吧", "不是。", "附件2"),
        ("报名登记表是附件2吧", "是的。", "附件2"),
        # a pasted line, a gap, then a question of its own; one that points back keeps the line
        (
            "学习前需要进行微信绑定账号以及人脸识别后方可开始学习  用别人微信绑定可以吗",
            "不可以。",
            "本人微信",
        ),
        # two questions joined by 然后 or 还有 in one breath
        ("喂那个我想问一下资格确认是在哪里搞的然后要带么子资料", "1. ", "305"),
    ],
)
def test_replies(ask, text, start, includes):
    reply = ask(text)
    assert reply.startswith(start) and includes in reply, reply


def test_a_materials_list_item_said_not_needed_is_answered_no(ask):
    reply = ask("资格确认带岗位汇总表跟登记表就行了，身份证复印件不用带吧")
    assert reply.startswith("不") and "身份证复印件" in reply, reply
    assert ask("岗位会总表要不要交").startswith("要")  # 要不要 drops nothing


@pytest.mark.parametrize(
    ("text", "online", "offline"),
    [
        ("去年线上学了32，今年线上学15线下17够冇", 15, 17),
        ("一年32学时我是线上12线下20凑的", 12, 20),
        ("线下参加公司安全培训14个学时", None, 14),
    ],
)
def test_hours_read(text, online, offline):
    hours = read_hours(text)
    assert hours is not None and hours.online == online and hours.offline == offline


def test_money_in_chinese_numerals():
    assert arabic_money("两百块一个人") == "200块一个人"
    assert arabic_money("学费是八十元吗") == "学费是80元吗"
    assert arabic_money("两百零五元") == "205元"
    assert arabic_money("十二学时") == "十二学时"  # hours are no money
