"""Values named by hearsay, attachments and phone numbers, hours stated bare or by device, and the notice's
silence on study times and the association's computers (tuning sets AY and AZ, stop 25).

Through the whole brain (real classifier, aspect reader, campaign file) at a fixed moment.
"""

import datetime as dt

import pytest

from nlu.hours import read_hours
from nlu.normalize import PHONE_TOKEN, phones_restored

TZ = dt.timezone(dt.timedelta(hours=8))
SILENT = "没有说明"


@pytest.mark.parametrize(
    ("text", "start", "includes"),
    [
        # what someone else said is hearsay, not a question about a project manager
        ("我们项目经理说资格确认在日报社503室 对不对", "不对。", "305"),
        ("同事说关注湖南住建公众号就能学 是不是", "不是。", "湖南建设人才"),
        ("同事说登录平台用手机号加验证码 对吗", "不是。", "身份证号码"),
        ("同事讲今年继续教育是8月1号开始的 是吗", "不是。", "7月20日"),
        # an attachment named before what it is; a phone number named otherwise
        ("附件2是汇总表吧", "不是。", "附件3"),
        ("附件1是报名登记表对吗", "不是。", "附件2"),
        ("附件3是汇总表吧", "是的。", "附件3"),
        ("手机号是13762061109吧", "不是。", "13762061108"),
        ("咨询电话是0730-8981007对吧", "不是。", "0730-8981006"),
        ("咨询电话是0730-8981006冇错吧", "是的。", "钟女士"),
        ("咨询电话打得通吗", "通知只说", SILENT),
        # among the posts, asked in those words
        ("標準員包不包括在裡面", "包括。", "标准员"),
        ("造价员在这次继续教育的范围里面冇", "是的，在。", "造价员"),
        ("劳务员是这次的继续教育岗位不", "是的。", "劳务员"),
        # hours by device, in English words, bare, or asked as no trouble
        ("手机上学了25个小时了 电脑上又学了7个小时 够32了吧", "够。", "线上32学时"),
        ("手机上学了20个，电脑上学了12个，够32了吧", "够。", "线上32学时"),
        ("online 20小时 offline 附件4 12小时 ok吗", "可以。", "线下证明12学时"),
        ("I did 20 hours online and 12 hours offline, is that enough?", "够。", "线下证明12学时"),
        ("我传了12学时的证明 线上学20就够了吧", "够。", "线上20学时"),
        ("线上28 线下证明12", "够。", "线上28学时"),
        ("线上20 线下证明8个 加起来28", "不够。", "还差线下证明4学时"),
        ("线上学了31个 就差一个冇关系吧", "不行。", "还差线上1学时"),
        ("我网上学了20个学时，还冇传证明，是不是还差12个学时的证明", "是的。", "线下证明12学时"),
        ("线上学了35学时了，还差么子冇", "够。", "已经够了"),
        ("一年要学满36个学时吧", "不是。", "32"),
        ("只在网上学满32学时 不搞线下的也算合格吧", "是的，合格。", "已经够了"),
        # yes/no on the fee, the order, the years, the devices, the proof, the WeChat
        ("是不是要先交100块才能去做资格确任？", "不是。", "确认合格后"),
        ("只要交一百块 不管几个岗位 对吗", "是的。", "一次"),
        ("我去年学过了 今年还要学吗", "要。", "每年"),
        ("报名是不是只能在电脑上弄", "是。", "电脑"),
        ("学时证明那个表是在后台下载吧", "是的。", "后台下载"),
        ("线下证明是拿到日报社305去交吗", "不是。", "上传"),
        ("学之前要绑wx吗", "要。", "微信绑定"),
        ("学习前需要进行微信绑定账号以及人脸识别后方可开始学习 这个微信能用别人的吗", "不可以。", "本人微信"),
        ("括号里的工作日是说周六周日不办吗", "是的。", "不办理"),
        ("明天去要得啵", "不可以。", "27"),
        ("是克岳阳大道那个日报社确认啵", "是的。", "305"),
        # the place, the website, the account and the org choice named, asked to confirm
        ("我听同事讲是岳阳大道63号，冇错吧", "不是。", "36号"),
        ("是岳阳大道36号吧", "是的。", "305"),
        ("日报社305是在3楼吧", "通知只说", SILENT),
        ("登录网站是www.hnjsrcw.com对吧", "是的。", "hnjsrcw"),
        ("公众号里面是点右下角继续教育再选八大员继续教育吗", "是的。", "右下角"),
        ("公众号里是点左下角吗", "不是。", "右下角"),
        ("公中号是搜岳阳建设人才吧", "不是。", "湖南建设人才"),
        ("报明选岳阳市房地产业协会冇错吧", "是的。", "岳阳市—岳阳市房地产业协会"),
        ("报名的时候要选岳阳市房地厂业协会吗", "要。", "岳阳市—岳阳市房地产业协会"),
        ("32个学时里面线上至少要20个是吧", "是的。", "32"),
        ("一个人有三个刚位也只交100吗", "是的。", "一次"),
        ("多岗的话100块是总共100吧", "是的。", "一次"),
        ("两个岗位交200吧", "不是。", "100元"),
        ("学时证明模板是在后台下载吗", "是的。", "后台下载"),
        ("线上线下各20学时 肯定够了吧", "够。", "线下证明20学时"),
        ("32学时是包括线下的吗", "是的。", "12"),
        ("从拿证的第二年开始算学时吗", "是的。", "次年"),
        ("登记表和汇总表分别是附件几", "", "附件2"),
        ("电脑学习也要用微型扫码吗", "要。", "微信"),
        # claims heard, right or wrong (tuning set BF)
        ("听说这次是岳阳市住建局组织的 是不是", "不是。", "岳阳市房地产业协会"),
        ("我记得是120块一个人 对吧", "不是。", "100元"),
        ("群里讲造价员不在范围里面 冇错吧", "不是。", "造价员"),
        ("确认是在巴陵中路那边吧", "不是。", "岳阳大道"),
        ("登录平台是不是用手机号加验证码啊 同事这么讲的", "不是。", "身份证号码"),
        ("线下证明最少要12个学时 对吧", "是的。", "12"),
        ("线上是不是一定要学满20个学识", "要。", "20"),
        ("附件4是找协会要纸质的 对吧", "不是。", "后台下载"),
        ("听讲登记表要去协会领纸质的手写 是不是", "不是。", "自助打印"),
        ("第二次登录的时候用绑定的那个微信扫一下就行了吧", "是的。", "扫码"),
        ("点进去之后是点继续教育入口 再到培训平台登陆 对吧", "是的。", "继续教育入口"),
        ("领导讲现场有质监站的人监督 冇错吧", "不是。", "城乡建设事务中心"),
        ("听说报名登记要选岳阳市建筑业协会 是不是", "不是。", "房地产业协会"),
        ("网站是www.hnjsrcw.com对吧 我怕记错了", "是的。", "hnjsrcw"),
        ("更新证书记录是在学习记录里面点 对吧", "不是。", "我的证书"),
        ("听说审核完要等一个礼拜才能更新证书记录 是不是", "不是。", "次日"),
        ("附件4是么子东西 冇看到", "", "自主学习培训证明"),
        ("我线上学满了32个 线下冇得证明 要紧啵", "不要紧。", "已经够了"),
        ("线上20个 线下只有10个 行啵", "不行。", "还差线下证明2学时"),
        ("线上20个学完了 线下冇参加过么子培训 怎么搞", "不够。", "线下证明12学时"),
        (
            "“资格确认时间:报名截止前每月26-30日(工作日)。” 这个意思是礼拜六礼拜天不确认对吧",
            "是的。",
            "不办理",
        ),
        ("I heard the confirmation office is room 306, is that right?", "不是。", "305"),
        ("Do I need to bind my WeChat and do face verification before studying online?", "要。", "人脸识别"),
        ("一个学时是45分钟对吧", "", SILENT),
        ("身份证复印件要印两份 对吧", "通知只说", SILENT),
        # yes/no on every step (tuning set BH) and messages as sent (BI)
        ("是不是只有施工员和质量员要参加", "不是。", "13个"),
        ("一人多岗只要交一次钱啵", "是的。", "一次"),
        ("线上要学满20学时以上吧", "是的。", "20"),
        ("线下证明有12个学时了，线上要学满32吗", "不用。", "12"),
        ("登陆是输身份证号 名字 密码这三样啵", "是的。", "密码"),
        ("是305室吧 我怕跑错了房间", "是的。", "305"),
        ("听同事讲是在306 是不是咯", "不是。", "305"),
        ("有么子问题是找钟女士咨询吧", "是的。", "13762061108"),
        ("登记表打印出来不盖章直接交过去 得行不", "不行。", "盖章"),
        ("只绑个微信就行 人脸识别可以不搞吧", "不可以。", "人脸识别"),
        ("那我能用我爸的微信吗", "不可以。", "本人微信"),
        ("电脑上学是不是用手机微信扫码绑定", "是。", "扫码"),
        ("手机端扫马绑定可以吧 不用电脑？", "可以。", "手机"),
        ("进公众号是点右下角的继续教育不", "是的。", "右下角"),
        ("交了100是不是所有岗位都包了", "是。", "一次"),
        ("100块是每个岗位都要交吗", "不用。", "一次"),
        ("我的phone可以study吗", "可以。", "湖南建设人才"),
        ("confirmation 时间是哪几天", "", "26"),
        ("么时候截止 另外周末能去确认吗", "1. ", "12月31日"),
        ("要人脸识别不 然后用么子登录", "", "身份证号码"),
        # a paste, then where its materials go; all the attachments
        (
            "资格确认需提供资料:身份证复印件、网上生成报名登记表(见附件2)、岗位汇总表(见附件3)。这三样东西送到哪里",
            "",
            "305",
        ),
        ("通知后面一共几个附件", "通知的附件", "附件4"),
        # what the notice does not cover
        ("不小心交了两次钱 多的么样退", "", SILENT),
        ("老花眼看不清手机 能不能到你们那里用电脑学", "通知只说", SILENT),
        ("晚上和周末网上能学啵", "通知只说", SILENT),
        ("协会自己组织线下培训冇", "通知只说", SILENT),
        ("线下的培训证明是不是只认2023年的", "通知只说", SILENT),
    ],
)
def test_replies(ask, text, start, includes):
    reply = ask(text)
    assert reply.startswith(start) and includes in reply, reply


def test_opting_out_is_no_refund(ask):
    assert "退订就是" in ask("怎么退订")


@pytest.mark.parametrize(
    ("text", "online", "offline"),
    [
        ("手机上学了25个小时了 电脑上又学了7个小时", 32.0, None),
        ("online 20小时 offline 附件4 12小时", 20.0, 12.0),
        ("我传了12学时的证明 线上学20", 20.0, 12.0),
        ("线上 20 线下 12", 20.0, 12.0),
        ("线上和线下都是10个", 10.0, 10.0),
        ("32个学时里面线上至少要20个", None, None),
    ],
)
def test_hours_read(text, online, offline):
    hours = read_hours(text)
    assert hours is not None and hours.online == online and hours.offline == offline


def test_a_hidden_mobile_number_is_put_back():
    folded = f"手机号是 {PHONE_TOKEN} 吧"
    assert phones_restored(folded, "手机号是13762061109吧") == "手机号是 13762061109 吧"
    assert phones_restored("培训费多少", "培训费多少") == "培训费多少"


def test_a_place_named_calls_nothing_enough(ask):
    """The place's parts are one thing: naming 日报社 does not call the other materials of a list enough."""
    on_a_confirmation_day = dt.datetime(2023, 10, 26, 10, tzinfo=TZ)
    reply = ask("听说今天就可以去日报社确认了 是不是", now=on_a_confirmation_day)
    assert reply.startswith("是") and "305" in reply, reply
