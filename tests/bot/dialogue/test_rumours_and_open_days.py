"""Rumours checked in more words, rooms and roads named, whether the office or the campaign is still open, the
hours rule claimed per year or waved through with too few online hours, values asked as a list or run together,
steps claimed in another order or place, and more of the notice's silence (sets FA–FJ, stop 28).

Through the whole brain (real classifier, aspect reader, campaign file) at a fixed moment.
"""

import datetime as dt

import pytest

TZ = dt.timezone(dt.timedelta(hours=8))
SILENT = "没有说明"
HOTLINE = "13762061108"


@pytest.mark.parametrize(
    ("text", "start", "includes"),
    [
        # a room or a road named; a rumour with 才搞, 是的啵, 撒, digits for once
        ("确认是305对吧", "是的。", "305"),
        ("是在巴陵中路那边吗", "不是。", "岳阳大道36号"),
        ("听说资格确认只有每个月26号到30号才搞，是不是", "是。", "26—30日"),
        ("听说一个人好几个岗也只交一次钱，是的啵", "是的。", "一人多岗只用缴纳一次"),
        ("3个岗也只交1次对吧", "是的。", "一人多岗只用缴纳一次"),
        ("去确认要带身份证复印件撒", "是的。", "身份证复印件"),
        # the hours rule: proof uploaded or not, the yearly total claimed, too few online hours waved through
        ("我线上学了二十六个学时 线下证明上传了十二个 还要再学不", "不用。", "学时已经够了"),
        ("一年是不是要学40个学时", "不是。", "32学时"),
        ("公司组织的技术培训可以算学时啵", "可以，算。", "计入学时"),
        ("线下证明表只交了纸质的冇上传 这个学时算不算", "不算。", "上传"),
        ("线下证明开好哒还冇传,冇上传也算啵", "不算。", "上传"),
        ("线上才学了10个，群里讲剩下的22个全部线下补就行，行不行", "不行。", "还差线上10学时"),
        ("线上21个 线下证明11个 是不是线下还差1个", "是的。", "还差线下证明1学时"),
        ("线上二十 线下证明十二 都上传了 算合格了吧", "是的，合格。", "审核"),
        ("线上20 线下证明12学时 我看通知写的32学时 那是不是还要多学点", "不用。", "学时已经够了"),
        ("在线学习十九点五学时,线下上传了十二学时,还差几多", "", "线上19.5学时"),
        # WeChat: another's (without 的, before a trouble), another app; steps claimed in another order or place
        ("拿我妈微信绑行吗", "不行。", "本人微信"),
        (
            "我刚注册好了然后它说要扫码绑定微信那个可不可以用我同事的微信帮我绑一下因为我的手机微信登不上",
            "不可以。",
            "本人微信",
        ),
        (
            "“学习前需要进行微信绑定账号以及人脸识别后方可开始学习” 我用我爸的微信绑得不 我自己微信号被封哒",
            "不可以。",
            "本人微信",
        ),
        ("别个说学之前要用QQ绑定账号，是不是", "不是。", "本人微信"),
        ("能不能不刷脸直接看视频 刷脸好麻烦", "不可以。", "人脸识别"),
        ("人脸识别是要到日报社那边现场做的啵", "不用。", "手机微信扫码"),
        ("人脸识别可以等学完哒再做吗", "不可以。", "学习前要先完成微信绑定和人脸识别"),
        (
            "“学习前需要进行微信绑定账号以及人脸识别后方可开始学习” 意思是不绑微信就学不了是吧",
            "是的。",
            "人脸识别",
        ),
        ("刷完脸就直接进学习界面了啵", "会。", "自动进入学习界面"),
        ("人脸识别完了是自动跳到学习界面吗", "是的。", "自动进入学习界面"),
        ("登录进去就直接进学习界面了吧", "不是。", "人脸识别"),
        ("学完了是不是还要自己拿证书去窗口登记学时", "不是。", "实时记录"),
        ("证书上的学时是不是要等明年才更新", "不是。", "实时记录"),
        ("学习课程是要我自己到网上去买的啵", "不用。", "培训实施单位统一"),
        (
            "学员登录湖南省建设人力资源网(www.hnjsrcw.com) 我是老人家不会搞电脑,这个在手机上报得啵",
            "不能",
            "电脑端报名",
        ),
        ("手机上也能学吧 不想开laptop", "可以。", "湖南建设人才"),
        # the fee per employer, who organises training, the campaign's end claimed
        ("陪训费是按单位交吧 一个公司交一回", "不是。", "按人缴纳"),
        ("100元是按人交不是按单位交，对吧", "是的。", "按人缴纳"),
        ("线下培训只算企业组织的,学校组织的不算,是吧", "不是。", "学校、企业"),
        ("今年继续教育是搞到明年三月份对吧", "不是。", "2023年12月31日截止"),
        # the fact asked: this year's start, the posts, the notice's date (好久 is when), ways to study
        ("今年的继续教育是从么子时候开始搞的", "本年度继续教育时间", "7月20日"),
        ("哪些岗要搞jxjy", "继续教育的岗位有13个", "资料员"),
        ("这个通知是好久发的", "这份通知", "7月13日"),
        ("线上学习有几种方式 我想赶紧补起来", "电脑和手机都可以学", "湖南建设人才"),
        ("每个月么子时候可以去现场确认，我一直冇搞清楚", "资格确认时间", "26—30日"),
        ("自主学习培训证明是哪个附件 我找不到", "线下学时的证明是附件4", "后台下载"),
        # a quote kept with what was done to it, or left when the question names its own topic
        ("“此表网上自助打印后单位盖章” 盖完章交给哪个", "", "培训机构"),
        ("“资格确认地点:岳阳大道36号岳阳日报社305室” 去的时候要带么子", "资格确认要带", "身份证复印件"),
        ("“资格确认时间:报名截止前每月26-30日(工作日)” 那周末算不算", "不算。", "工作日"),
    ],
)
def test_replies(ask, text, start, includes):
    reply = ask(text)
    assert reply.startswith(start) and includes in reply, reply


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        # values asked at once, listed or run together; one asked too by 也发下
        ("学时、费用、确认地点 分别是么子", ("32学时", "100元", "305室")),
        ("确认时间 地点 材料 麻烦一起发一下", ("26—30日", "305室", "身份证复印件")),
        ("网址是好多那报名的时候选哪个单位", ("hnjsrcw", "岳阳市房地产业协会")),
        ("网站是好多 电话也发下", ("hnjsrcw", "0730-8981006")),
        (
            "喂你好我想问一下那个八大员继续教育在哪个网站报名报名的时候选哪个单位",
            ("hnjsrcw", "岳阳市房地产业协会"),
        ),
    ],
)
def test_several_values(ask, text, parts):
    reply = ask(text)
    assert reply.startswith("1. ") and all(p in reply for p in parts), reply


@pytest.mark.parametrize(
    ("text", "known"),
    [
        ("听说明年的继续教育费要涨价，是不是", "100元"),
        ("课程里面有冇专门给安全员的课，还是大家都一样", "培训平台"),
        ("没按时完成的人 明年还能正常上岗不", "无继续教育记录"),
        ("我换了公司 登记表上的在岗单位写哪个", ""),
        ("线下培训证明要么子级别的单位盖章才算", ""),
        ("听说华容县有单独的确认点，不用跑市里，在哪里", "305"),
        ("听说八大员证书要换新版的，要去哪里换", "本年度对象"),
        ("我今年六十二岁哒 还能参加继续教育啵", "本年度继续教育对象"),
        ("人脸试别搞哒好几回都冇过,么子回事咯", "人脸识别"),
        ("明年的继续教育是不是也是这个时候搞", "每年都要参加"),
        ("网课可以开1.5x倍速不", "倍速"),
        ("去年参加的培训证明今年能拿来传啵", "线下培训"),
        ("年底冇搞完 明年还能接到补啵", ""),
    ],
)
def test_the_notice_is_silent(ask, text, known):
    reply = ask(text)
    assert SILENT in reply and HOTLINE in reply and known in reply, reply
    assert not reply.startswith(("是", "可以", "有")), reply


@pytest.mark.parametrize(
    ("text", "now", "start", "includes"),
    [
        ("今天还开不", dt.datetime(2023, 12, 30, 9, tzinfo=TZ), "不可以。", "周六"),
        ("今天还开不", dt.datetime(2023, 11, 27, 9, tzinfo=TZ), "可以。", "305"),
        ("还能报名吗", dt.datetime(2024, 1, 3, 10, tzinfo=TZ), "不可以。", "12月31日截止"),
        (
            "2023年度的继续教育现在还在搞不",
            dt.datetime(2023, 11, 3, 10, tzinfo=TZ),
            "是的，还在。",
            "12月31日",
        ),
        (
            "2023年度的继续教育现在还在搞不",
            dt.datetime(2024, 1, 5, 10, tzinfo=TZ),
            "不在了。",
            "12月31日截止",
        ),
        ("啥时候开始能去确认", dt.datetime(2023, 7, 21, 12, tzinfo=TZ), "资格确认时间", "7月26"),
        # what was heard beside the question is a remark, not the day asked; the way there is no question
        (
            "今天还能去确认吗，同事讲昨天就结束哒",
            dt.datetime(2023, 11, 30, 9, tzinfo=TZ),
            "可以。",
            "11月30日",
        ),
        (
            "明天能去确认啵,我准备一早坐车上去",
            dt.datetime(2023, 7, 25, 20, 15, tzinfo=TZ),
            "可以。",
            "7月26日",
        ),
    ],
)
def test_days_asked(ask, text, now, start, includes):
    reply = ask(text, now=now)
    assert reply.startswith(start) and includes in reply, reply
