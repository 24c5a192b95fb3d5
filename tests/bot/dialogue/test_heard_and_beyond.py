"""Claims heard and checked, days beyond the period asked before it ends, hours and years said in words, several
people named, two values asked at once, Cantonese, and more of what the notice leaves open (tuning sets DA–DC
and ED–EH).

Through the whole brain (real classifier, aspect reader, campaign file) at a fixed moment.
"""

import datetime as dt

import pytest

from nlu.hours import read_bound, read_hours
from nlu.numerals import arabic_years, people_named, read_people

TZ = dt.timezone(dt.timedelta(hours=8))
SILENT = "没有说明"
HOTLINE = "13762061108"


@pytest.mark.parametrize(
    ("text", "start", "includes"),
    [
        # what was heard, stated without a question mark, or confirmed with 冇搞错吧
        ("听说资格确认是每个月1号到5号", "不是。", "26—30日"),
        ("听说确认地点是岳阳日报社305，冇搞错吧", "是的。", "305"),
        ("听说那个公众号是搜岳阳建设人才，对啵", "不是。", "湖南建设人才"),
        ("听说自主学习证明是附件2，是吧", "不是。", "附件4"),
        ("听说手机上学不了，只能在电脑上学？", "不是。", "手机"),
        ("是不是在三零六室确认咯", "不是。", "305"),
        ("一百块是一个岗位一百啵", "不是。", "一人多岗只用缴纳一次"),
        ("登记表是不是到现场再手写一张", "不是。", "自助打印"),
        # a day beyond the period, asked before the period ends: its end, and no "已于…截止"
        ("群里有人讲这次继续教育明年3月份才截止，对不", "不是。", "2023年12月31日截止"),
        ("学时要等到明年才显示到证书上吧", "不是。", "实时记录"),
        # the year a certificate was obtained, said in two digits or claimed due later
        ("二二年刚拿的证今年要学三十二个学时啵", "要。", "2022年取证的在范围内"),
        ("我去年2022年刚取证，同事说要明年才开始学，是吗", "不是。", "2023年起"),
        ("我2023年刚考的证，明年开始要搞继续教育吧", "是的。", "2024年起"),
        # hours said in words, uploaded, or done but not yet audited
        ("在线学习二十二个传了十五个学时的证明合格啵", "够。", "线下证明15学时"),
        ("线上满了二十证明传了十二以后还要搞么子", "够。", "审核"),
        ("线上时间到三十二哒但是培训点还冇审核算完成了啵", "还没有。", "审核确认才算完成"),
        ("线上做满了32学时，还要培训点审核确认不？", "要。", "审核确认"),
        ("两个合格条件要同时满足吗", "不用。", "线上学满32学时"),
        ("线下证明只签字不盖章行吗", "不行。", "签字盖章"),
        ("学习可以跳过人脸识别吗", "不可以。", "人脸识别"),
        # another's WeChat, in any words
        ("用我堂客的威信绑定要得不我自己冇开威信", "不可以。", "本人微信"),
        ("我自己微信登不上，可以绑我老公的微信学啵", "不可以。", "本人微信"),
        (
            "“学习前需要进行微信绑定账号以及人脸识别后方可开始学习” 这个绑定用哪个微信都可以吗",
            "不可以。",
            "本人微信",
        ),
        # English words and days, a confirm tag after the hours
        ("online 20 hours + offline proof 12 hours, is that enough?", "够。", "线下证明12学时"),
        ("Hi, what do I enter on the login page?", "登录", "身份证号码"),
        ("PDF的登记表打出来以后要找company盖章吗", "要。", "在岗单位盖章"),
        ("线上25+线下证明12，合格吧？还要不要培训点审核", "是的，够了。", "2. 要。"),
        ("那我施工员质量员都有 交100就行了是吧", "是的。", "一人多岗只用缴纳一次"),
        # several people named: the fee of all of them in a later part
        ("老师 我们公司老李老张都是2021年拿的电子证 今年都要学吧 学费一起交好多", "是的。", "2人共200元"),
        # the fee of several people, a total named otherwise, and when it is paid
        ("我们4个同事交300就够了吧", "不够。", "4人共400元"),
        ("我们3个同事一起交，总共300对吧", "是的。", "3人共300元"),
        ("我跟两个同事，三个人一共要交好多钱", "按人缴纳", "3人共300元"),
        ("公司一共8个人报名，其中有两个人是一人两岗，培训费总共好多", "按人缴纳", "8人共800元"),
        ("钱是学完了再交吧", "不是。", "合格后缴纳"),
        ("是不是要先把100块交了再去日报社确认资格啊", "不是。", "确认合格后再缴"),
        # devices, Cantonese, the proof's place and stamp, another WeChat at the next login
        ("线上学习是不是一定要用电脑", "不用。", "手机"),
        ("網址係唔係hnjsrc.com", "不是。", "hnjsrcw"),
        ("附件4要到日报社现场去领是啵", "不是。", "后台下载"),
        ("学时证明后台下了以后签个字就能传，不用盖章吧", "不可以。", "签字盖章"),
        ("再次登录的时候随便换个微信号扫码也行吧", "不可以。", "绑定的微信"),
        (
            "学习前需要进行微信绑定账号以及人脸识别后方可开始学习 用公司那个公用微信绑行不行",
            "不行。",
            "本人微信",
        ),
        ("登记表是要手写填的吗", "不用。", "自助打印"),
        # the hours rule: in words, bounds said with 不够, sums, small talk that states hours
        ("线上只学二十个就冇事了吧", "不行。", "还差线上12学时"),
        ("线上二十一线下十五过得了吧", "能。", "线下证明15学时"),
        ("每年要学的学时是不是24个", "不是。", "32学时"),
        ("线上不够二十的话线下再多也冇用是不是", "是。", "不少于20学时"),
        ("学校培训6学时 企业培训6学时 电脑上学了20 刚好够吧", "够。", "线下证明12学时"),
        ("证明学时跟线上学时是加起来算的吧", "是的。", "32学时"),
        ("每年32学时是从拿证第二年开始算吧", "是的。", "次年"),
        # two values asked at once; a bare noun with a question mark asks its value
        ("网址和电话分别是多少", "1. ", "0730-8981006"),
        ("確認時間？", "资格确认时间", "26—30日"),
        ("确认时间是26号到30号？", "是的。", "工作日"),
        ("26号到30号碰到周末也能去确认吗", "不可以。", "周日不办"),
        # what the rule is claimed to require, heard or asked; several colleagues' cases
        ("是不是要线上32加线下12一共44个才合格", "不是。", "两种方式满足其一"),
        ("工头说线上32 线下还要12 一共要44个学时 是吧", "不是。", "两种方式满足其一"),
        ("线上20线下12一共32个才合格是吧", "是的。", "两种方式满足其一"),
        ("别个讲一年只要学24个学时", "不是。", "32学时"),
        ("线上的学时是不是最少20", "是。", "不少于20学时"),
        ("是不是两年才要学一次32学时", "不是。", "每年"),
        ("我们公司十个人是不是交一千", "是。", "10人共1000元"),
        ("我们有个老师傅只参加了公司的线下培训，有40学时，还要学线上的吗", "要。", "线上学习是必须的"),
        ("我今年网上学了18，下个月再补2个，再加线下14，这样行不", "可以。", "线上20学时"),
        # who stamps, who supervises, which WeChat, where it is, when the record shows
        ("登记表只要培训机构盖个章就行了吧", "不是。", "在岗单位盖章"),
        ("自主学习证明我自己签个字就行了吧", "不是。", "签字盖章"),
        ("自主学习证明是不是签个字就行 不用盖章", "不是。", "签字盖章"),
        ("现场监督的是岳阳市住建局吧", "不是。", "城乡建设事务中心"),
        ("微信绑定是要用同事本人的微信吧", "是的。", "本人微信"),
        ("是不是登录进去就直接可以学哒", "不可以。", "人脸识别"),
        ("确认地点是巴陵大道36号对不对", "不对。", "岳阳大道36号"),
        ("证书上的学时是不是要到年底才统一更新", "不是。", "实时记录"),
        # a denial claimed: the fee per post in digits, registering by phone only, only new certificates
        ("100块是一个岗位100吧？我有3个岗", "不是。", "一人多岗只用缴纳一次"),
        ("听说报名要用手机报 电脑报不了 是吧", "不是。", "电脑登录"),
        ("同事讲只有2022年新取证的才要搞继续教育，以前拿证的不用，冇错吧", "不是。", "2022年以前取得"),
        ("我证是2022年拿的，2022年当年不用搞继续教育，从2023年开始，对吧", "是的。", "2023年起"),
    ],
)
def test_replies(ask, text, start, includes):
    reply = ask(text)
    assert reply.startswith(start) and includes in reply, reply


@pytest.mark.parametrize(
    ("text", "known"),
    [
        ("那个网站是好多我搜不到", "www.hnjsrcw.com"),
        ("证书快到期哒么样换证", "本年度对象"),
        ("屋里电脑是XP系统用得不", "www.hnjsrcw.com"),
        ("别人的微信绑定了我的账号怎么办", "本人微信"),
        ("忘记当时是用哪个微信绑定的了，么办", "本人微信"),
        ("我公司倒闭了，登记表冇得单位盖章么办", "在岗单位盖章"),
        ("我年纪大了不会用智能手机，可以叫儿子帮我报名吗", "湖南建设人才"),
        ("后台找不到附件4下载的地方", "后台下载"),
        ("我怀孕了，不方便跑，资格确认可以线上办吗", "305室"),
        ("我电脑是mac 报名网站打得开不", "www.hnjsrcw.com"),
        ("公司公章冇在 盖合同章行不", ""),
        ("自主学习证明要哪些人签字", "附件4"),
        ("同事是外籍的 冇得身份证 么样登录", "身份证号码"),
        ("我去年在别的协会报的 今年能换到房地产业协会不", "岳阳市房地产业协会"),
        ("线下技术培训要不要提前报备", "附件4"),
        ("今年的学时标准跟去年一样吗", "32学时"),
        ("资料员跟标准员学的课程是一样的啵", "注册网络继续教育课程"),
        ("培训点审核的时候要本人到场啵", "审核确认"),
        ("钟女士的手机号能不能加微信", "0730-8981006"),
        ("我们单位几十个人，能不能统一报名统一交钱", ""),
        ("同事想从施工员转成安全员，继续教育怎么搞", "土建施工员"),
        ("登记表上的序号要我们自己填吗", "附件2"),
        ("一个公司报名有没有人数限制，一次最多报几个", ""),
        ("初次考八大员证在哪里报名", "本年度继续教育对象"),
    ],
)
def test_the_notice_is_silent(ask, text, known):
    reply = ask(text)
    assert SILENT in reply and HOTLINE in reply and known in reply, reply


@pytest.mark.parametrize(
    ("text", "now", "start", "includes"),
    [
        ("明天31号还能去吗，今天赶不过去了", dt.datetime(2023, 8, 30, 15, tzinfo=TZ), "不可以。", "9月26"),
        ("今天三十号最后一天啵还能确认不", dt.datetime(2023, 10, 30, 8, 40, tzinfo=TZ), "可以。", "305"),
        ("这个礼拜五去 还来得赢不", dt.datetime(2023, 12, 27, 10, tzinfo=TZ), "可以。", "12月29日"),
        ("next Friday 可以去确认吗", dt.datetime(2023, 10, 20, 10, tzinfo=TZ), "可以。", "10月27日"),
        ("明年1月5号还能学吗", dt.datetime(2023, 11, 20, 10, tzinfo=TZ), "不可以。", "2023年12月31日截止"),
        (
            "元旦都过了 现在去确认2023年度的还算数不",
            dt.datetime(2024, 1, 3, 10, tzinfo=TZ),
            "不算。",
            "12月31日截止",
        ),
        ("我下个月初去确认行不", dt.datetime(2023, 9, 10, 10, tzinfo=TZ), "不可以。", "10月26"),
        ("确认的address发我一下 下个week过去", dt.datetime(2023, 11, 20, 10, tzinfo=TZ), "可以。", "305"),
        (
            "群里讲这个月26到30号每天都能去，是吧",
            dt.datetime(2023, 11, 10, 10, tzinfo=TZ),
            "不是。",
            "11月26日周日不办",
        ),
    ],
)
def test_days_asked(ask, text, now, start, includes):
    reply = ask(text, now=now)
    assert reply.startswith(start) and includes in reply, reply


def test_words_read():
    hours = read_hours("线上时间到三十二哒但是")
    assert hours is not None and hours.online == 32
    hours = read_hours("线上满了20证明传了12以后")
    assert hours is not None and (hours.online, hours.offline) == (20, 12)
    assert read_hours("我有2证") is None
    assert arabic_years("二二年刚拿的证") == "22年刚拿的证" and arabic_years("三零六室") == "306室"
    assert people_named("老李老张都是2021年的证") == "老李老张" and people_named("老李说的") == ""
    assert read_people("老李老张 学费一起交好多") == 2 and read_people("老师 学费多少") is None
    assert read_people("我跟两个同事一起交") == 3 and read_people("公司几十个人一起交钱") is None
    assert read_bound("线上不够二十的话") == ("online", 20, False)
