"""The fact asked, not the topic's text; a yes only when the reply states it; no yes to a what-question.

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
YES_WORDS = ("是的。", "是。", "可以。", "要。", "有。")


@pytest.fixture(scope="module")
def ask(campaign, interpreter):
    def run(text, now=NOW):
        return Brain(campaign, interpreter, FixedClock(now)).handle(Inbound("cli", "u1", text))

    return run


@pytest.mark.parametrize(
    ("text", "start", "includes"),
    [
        ("培训费是200元吗", "不是。", "100元"),  # an amount the reply gives otherwise
        ("确认是在306室吧", "不是。", "305室"),
        ("培训费是100元吗", "是的。", "100元"),
        ("现场确认有人监督不", "有。", "监督"),  # every content word stated, 有人 a function word
        ("手机学习是关注湖南建设人才公众号吗", "是的。", "湖南建设人才"),
        ("资格确认时间是不是每个月26号到30号", "是。", "26—30日"),
        ("要得，那确认是在岳阳日报社啵", "是的。", "305室"),  # 要得 opens, it does not ask
        ("岗位汇总表也要带咯？", "要。", "附件3"),  # 咯 with a question mark asks
        ("手机能学", "可以。", "湖南建设人才"),  # no particle at all
        ("要先报名开通了才能学习吗", "要。", "网上报名"),  # a step needed first, not permission
        ("每次登录都要扫码啵", "要。", "扫码"),
        ("线上的课程要自己去选课注册吗", "不用。", "培训实施单位"),
        ("节假日能去确认吗", "不可以。", "工作日"),
        ("明天行吗", "不可以。", "11月27"),  # a bare day and a yes/no ask about the confirmation
        ("下个月28号能去确认吗", "可以。", "12月28日"),
        ("是免费的吗", "不是。", "100元"),  # a broad yes to the fee is no yes to "free"
        ("能不能在電腦上學習", "可以。", "hnjsrcw"),  # 能不能 asks both ways, it denies nothing
        ("學習前要人臉識別嗎", "要。", "人脸识别"),  # 识别 holds 别 and denies nothing
        ("要盖章吗", "要。", "在岗单位盖章"),
        ("线上18学时加线下14学时满足不", "不够。", "线上2学时"),
        ("造价圆要不要学", "要。", "32学时"),  # a post typed with a sound-alike last character
        ("好的谢谢，那我26号过去", "不可以。", "11月27"),  # a plan for a day, after thanks
        ("哪几天可以去现场却认", "资格确认时间", "26—30日"),  # 哪几天 asks which days, not how long
        ("我们公司40个工人，培训费总共要准备好多", "按人缴纳", "4000元"),  # the fee for the people counted
        ("市政质量员在不在继续教育范围", "是的，在。", "市政工程质量员"),  # a post written short
        ("确认之前可以先把培训费交了吗", "不可以。", "合格后再缴"),
        ("用我的微信帮他绑定可以啵", "不可以。", "本人微信"),
        ("一定要有线下的吗", "不用。", "线上学满32学时"),
        ("确认是每个月哪几天 周末搞不搞", "不可以。", "26—30日"),  # 搞不搞 is no 不搞 (skipping)
        ("线上20个学时加上传12个学时的证明，算不算合格", "算合格。", "够了"),
        ("湖南省建设人力资源网就是报名的那个网站吧", "是的。", "hnjsrcw"),  # 网站: its 网 is in the reply
        ("登记表自己在网上打得出来啵", "可以。", "打印"),  # a potential complement asks whether one can
        ("资格确认是在长沙搞吗", "不是。", "岳阳大道36号"),
        ("上传的学时证明最少要几个学时", "上传的线下培训证明", "12学时"),
        ("人立资源网首页点哪个进去", "登录湖南省建设人力资源网", "继续教育入口"),
        # never a yes the notice does not give
        ("只参加公司的线下陪训，网课一点都不学可以吗", "不可以。", "线上学习是必须的"),
        ("只带身份证复印件去够不够", "不够。", "带齐"),
        ("线下证明是交纸质的给你们吗", "不是。", "上传"),
        ("资格确认是在市城乡建设事务中心办吗", "不是。", "岳阳日报社305室"),
        ("这个月底能去确认吗，国庆那几天耽误了", "可以。", "11月27"),  # 国庆 is not the day asked
        # a slip of the pinyin input is the reply's word; "X是Y": Y stated in full, X on the reply's topic
        ("确认的时候身份证复印见要带吗", "要。", "身份证复印件"),
        ("确认是在岳阳日保社吗", "是的。", "305室"),
        ("監督單位是城鄉建設事務中心吧", "是的。", "城乡建设事务中心"),
        ("報名登錄要用身份證號嗎", "要。", "身份证号码"),
        ("学完了证书上会不会有记录", "会。", "实时记录"),  # 会不会 asks both ways
        ("监督单位是住建局吧", "通知只说", HOTLINES[0]),  # 住建局 is stated nowhere: no yes
        ("缴费的地方是岳阳日报社吗", "资格确认地点", "305室"),  # 缴费的地方 is not that answer's topic
        # an order the reply gives the other way round
        ("缴费是在确认前吗", "不是。", "合格后"),
        ("缴费是在确认后吗", "是的。", "合格后"),
        # the rule's own numbers asked to confirm, not someone's hours
        ("线上最低20个学时对吧", "是的。", "线上不少于20学时"),
        ("每年至少32學時，其中線上最少20對吧", "是的。", "线上学满32学时"),
        ("32学时是线上线下加在一起蒜的吗", "是的。", "每年不少于32学时"),
        ("线上最少12学时吧", "不是。", "线上不少于20学时"),
        ("我线上学了20个，够不够", "不够。", "还差线上12学时"),  # hours done: the check, not the rule
        # slips of the pinyin input in the words a silence is read from
        ("帐号被所定哒么办", "通知只说：登录", "账号被锁"),
        ("网课每天最多能学几个学实", "每天最多能学多少学时", HOTLINES[0]),
        ("报名的时候显示身份证以被注册", "通知只说", HOTLINES[0]),
        ("学时证明搞丢哒么办", "证书或材料遗失", HOTLINES[0]),
        ("苹果电脑能学啵", "通知只说", HOTLINES[0]),
        ("日报社305从哪个门进", "通知只说", HOTLINES[0]),
        # a detail without its own answer, for a message the classifier does not place: its topic's answer
        # (this raised KeyError 'suggestions' through `jxjy ask` before)
        ("听说今年免费的，是真的啵", "不是。", "100元"),
        # "is it true that not …": a fixed verdict the other way round
        ("听同事讲线下培训不算学时，是真的吗", "不是。", "可以计入学时"),
        ("线下培训算学时是真的吗", "是的。", "可以计入学时"),
        # no invented yes: a certificate of this year, one WeChat for a couple, one form per person
        ("我的证是今年5月份才考到的，今年也要参加继续教育吗", "不用。", "次年"),
        ("我和我老公能用同一个微信绑定吗", "不可以。", "本人微信"),
        ("我一个人两个证，登记表要填两张吗", "通知只说", HOTLINES[0]),
        ("月底去确认要排好久的队", "通知只说", HOTLINES[0]),
        ("报名的时候是选岳阳市房地产业协会吗", "是的。", "岳阳市房地产业协会"),  # 协会吗 asks no 会
        ("资格确认能不能提前到25号去", "不可以。", "11月27"),  # 提前到25号 is a day, not a range's end
        ("今天是不是还可以去确认", "不可以。", "11月27"),
        ("确认的地点和时间发我一下", "资格确认时间", "305室"),
        ("第二次登路的时候怎么登", "再次登录", "扫码"),  # 登路 sounds like 登录 and 登陆
        ("0730那个座机打不通", "通知只说", "13762061108"),
        ("报名登记表是手写还是打印", "报名登记表", "自助打印"),
        # an amount paid is money without 元, and a detail's own verdict gives way to a wrong amount
        ("听说继续教育要交300是不是哦", "不是。", "100元"),
        ("我是施工员和安全员两个岗，交100就可以了吧", "是的。", "一人多岗只用缴纳一次"),
        ("我是施工员和安全员两个岗，交200就可以了吧", "不是。", "100元"),
        # a quote, a dash, then the question: the hours are the question's, not the quote's
        (
            "施工现场专业人员从取得职业培训合格证次年起,每年应参加不少于32学时的继续教育,其中线上培训学习"
            "不少于20学时 —— 那我线上学20个就可以了吧",
            "不是。",
            "还差线上12学时",
        ),
        ("意思是我网上只要学20个就行了？", "不是。", "还差线上12学时"),  # answer sets F, K: 不是/不够/不行
        ("上传的学识证明是不是要满12个学时", "是。", "不少于12学时"),
        ("线上至少32学时吧", "不是。", "线上不少于20学时"),  # 32 online is one way, not the minimum
        ("是不是要先报名登纪才能学", "是的。", "网上报名"),  # a step needed first, before "是不是…能"
        ("这个通知是2023年7月发的吗", "是的。", "2023年7月13日"),  # the notice's date, not a certificate's
        ("继续教育学时是么样规定的", "每年不少于32学时", "线上学满32学时"),
        ("今年的继续教育是12月31号结束吗", "是的。", "最后一天"),  # a day named as the end
        ("26到30号每天都可以去确认吗", "不可以。", "工作日"),
        ("线下培训的证明是交纸值的吗", "不是。", "上传"),
        ("企业微信能绑定吗", "通知只说", HOTLINES[0]),
        ("继续教育学时能不能转到别的证书上", "通知只说", HOTLINES[0]),
        (
            "师傅你好\n我是公司的资料员\n帮公司十几个人报名\n去确认要带哪些东西",
            "资格确认要带",
            "身份证复印件",
        ),
        # some of a list called enough, where the notice lists more: no (never an invented yes)
        ("只要带身份证复印件就行了吗", "不是。", "汇总表"),
        ("带身份证复印件和登记表就够了吧", "不够。", "汇总表"),
        ("只要带身份证复印件、登记表和汇总表就行了吧", "是的。", "汇总表"),
        # a yes/no clause followed by a remark, and a message of two questions led by the first one's answer
        ("能先交钱再去确认不 省得跑两趟", "不可以。", "合格后"),
        ("截止了吗", "还没有。", "12月31日"),
        ("沒有繼續教育記錄會影響證書使用嗎", "通知只说", HOTLINES[0]),
        ("线上20个学时要一次学完吗 能分几天不", "通知只说", HOTLINES[0]),
        ("我线上学了40个学时，多的能算到明年吗", "学时能不能跨年累计", HOTLINES[0]),
        ("俩岗位 xs要学两遍吗 还是32就行", "通知只说", HOTLINES[0]),
        ("继续教育岗位：土建施工员……安全员、造价员等。测量员算不算", "通知所列", "测量员"),
    ],
)
def test_the_reply_starts_with_what_the_notice_says(ask, text, start, includes):
    reply = ask(text).text
    assert reply.startswith(start), reply
    assert includes in reply, reply


@pytest.mark.parametrize("text", ["在哪里确认?", "培训费好多?", "要带么子啵", "几号截止啵"])
def test_a_question_asking_what_gets_no_yes(ask, text):
    reply = ask(text).text
    assert not reply.startswith(YES_WORDS), reply


@pytest.mark.parametrize(
    ("text", "includes"),
    [
        ("文号", "岳房培函【2023】3号"),
        ("通知是那天发的", "2023年7月13日"),
        ("發文單位", "岳阳市房地产业协会"),
        ("这次继续教育依据的是哪个文件", "建人〔2019〕9号"),
        ("平台全称", "职业培训平台"),
        ("网上课程是谁给我注册开通的", "培训实施单位"),
        ("学之前要搞么子", "微信绑定"),
        ("登记表上要哪个签字", "本人"),
        # a message of several clauses understood by the one that asks
        ("我是华容一家建筑公司的资料员，想咨询一下继续教育费用是多少", "100元"),
        ("早上好 我老公的证要搞继续教育 你们电话多少", "0730-8981006"),
        ("我是资料员，也要学32个学时啵", "资料员是继续教育的岗位之一"),  # a yes/no clause keeps the post
    ],
)
def test_the_specific_fact_asked(ask, text, includes):
    reply = ask(text)
    assert includes in reply.text, reply.text
    assert "没有说明" not in reply.text


@pytest.mark.parametrize(
    "text",
    [
        "电脑上用么子浏览器好些",
        "资格确认没通过怎么办",
        "一個學時是多少分鐘",
        "学时证明能手写吗",
        "登记表上的序号填什么",
        "有冇得纸质的合格证书发",
        "冇得打印机，登记表能到现场打印吗",
        "企业组织的培训要好多人以上才算",
        "能加钟女士微信吗",
        "株洲那边的继续教育什么时候搞",
        "证丢了",  # read as a goodbye by the classifier, yet a silence applies
        "学识清零",
        "资格确认完了多久开通学习",
        "监理员要搞这个啵",  # a post the notice does not list
        "能不能延期到明年再学",
        "扫二维码没反映",
        "汇总表是一个人填一份还是一个公司填一份",
        "培训费可以网上交吧",  # paying online is not in the notice: no 是的
        "12月31号还没学完，明年还能接着学吗",
        "我是湖北人，证是湖北发的，现在在岳阳上班，能在这里报名吗",
        "線下證明可以用去年參加的培訓嗎",
        "外省搞的线下培训证明能用不",
    ],
)
def test_what_the_notice_leaves_open_gets_the_hotline(ask, text):
    reply = ask(text).text
    assert "没有说明" in reply and all(h in reply for h in HOTLINES), reply
    assert not reply.startswith(YES_WORDS), reply


def test_a_contradicted_amount_is_found_only_for_the_same_unit():
    checker = ClaimChecker(["是", "吗"], ["是吗"], "不没", units=["元", "室"])
    reply = "培训费100元/人；地点305室。"
    assert checker.contradicted("培训费是200元吗", reply)
    assert not checker.contradicted("培训费是100元吗", reply)
    assert not checker.contradicted("线上20学时够吗", reply)  # no unit the reply gives


def test_questions_one_after_another_are_each_answered(ask):
    reply = ask("老师，这个培训费好多钱？在哪里确认咯").text
    assert "100元" in reply and "305室" in reply, reply
    assert "100元" in ask("是吗？培训费好多").text  # a part that only reacts is no question of its own


@pytest.mark.parametrize(
    ("text", "now", "start", "includes"),
    [
        # the date of the clause that asks; a holiday with 前 is the days until it
        ("今天来不及了，明天去确认可以啵", "2023-07-28T10:00", "不可以。", "明天"),
        ("这个月底能去确认吗，国庆那几天耽误了", "2023-07-28T10:00", "可以。", "这个月底"),
        ("国庆放假前还能去确认吗", "2023-09-25T10:00", "可以。", "9月26"),
        ("元旦前还能去确认吗", "2023-12-22T10:00", "可以。", "12月26"),
        ("圣诞节那天能去却认吗", "2023-12-22T10:00", "不可以。", "12月25日"),
        (
            "这个月26到30号都能去确认吗",
            "2023-09-20T10:00",
            "不可以。",
            "9月26、27、28日",
        ),  # 29, 30 are holidays
        ("这个月26到30号能去确认吗", "2023-09-20T10:00", "可以。", "9月26、27、28日"),
    ],
)
def test_the_day_asked(ask, text, now, start, includes):
    reply = ask(text, dt.datetime.fromisoformat(now).replace(tzinfo=TZ)).text
    assert reply.startswith(start), reply
    assert includes in reply, reply


def test_several_questions_are_led_by_the_first_ones_yes_or_no(ask):
    reply = ask("今天能去确认吗？要带么子", now=dt.datetime(2023, 11, 27, 10, tzinfo=TZ)).text
    first, *parts = reply.split("\n")
    assert first == "可以。" and parts[0].startswith("1. 今天（11月27日") and parts[-2].startswith("2. ")
