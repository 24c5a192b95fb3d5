"""Who does what, two options offered, the only way, a quoted line, hours of no stated kind, small talk that
asks: the kinds of miss answer sets M and N showed (stop 18).

Through the whole brain (real classifier, aspect reader, campaign file) at a fixed moment.
"""

import datetime as dt

import pytest

from nlu.claims import ClaimChecker

TZ = dt.timezone(dt.timedelta(hours=8))
HOTLINE = "0730-8981006"
YES = ("是的", "是", "可以", "要", "有", "会", "能")


@pytest.mark.parametrize(
    ("text", "start", "includes"),
    [
        # who does what: another party's act is no yes (a silence for 有没有, 不是 for 是…吗)
        ("协会有没有组织线下培训", "通知只说", HOTLINE),
        ("登记表是协会盖章吗", "不是。", "在岗单位盖章"),
        ("登记表是单位盖章吗", "是的。", "在岗单位盖章"),
        ("公司自己组织的技术培训能不能算学时", "可以。", "企业等单位组织"),  # 公司 is 企业, 自己 no party
        # two options offered: no yes/no word
        ("这个岗位汇总表是每个人都要交一份还是单位交一份？", "通知只说", HOTLINE),
        # the only way: no broad yes
        ("只能电脑学吗", "不是。", "湖南建设人才"),
        ("冇得电脑，只有手机，能学习啵", "可以。", "湖南建设人才"),
        # a quoted line of the notice, then the question about it
        ("“资格确认时间:报名截止前每月26-30日(工作日)。” 这个意思是周末不能去吧", "不可以。", "11月27"),
        # hours of no stated kind, asked whether the proof is still needed: they are the online ones
        ("学满32学时还要上传线下证明吗", "不用。", "线上学满32学时"),
        ("线上学时超过20了，剩下的可以用线下证明抵吗", "可以。", "12学时"),
        ("只参加单位培训不在网上学，学识够吗", "不够。", "线上"),
        ("线上学到20学时了，下一步么子搞", "不够。按您说的线上20学时", "12学时"),
        ("学时不够32能合格吗", "不能。", "32学时"),
        ("我冇参加过么子线下培训，冇得证明，哪么办", "没有线下培训证明的", "32学时"),
        # a step left out: no
        ("不做人连识别能直接学吗", "不可以。", "人脸识别"),
        ("冇得身份证复印件能确认不", "不可以。", "身份证复印件"),
        ("登记表不交上去能直接开始学吗", "不可以。", "提交培训机构"),
        # asked in the question's own words
        ("線下培訓的學時能計入繼續教育嗎", "可以。", "计入学时"),
        ("线上20学时是最低要球吗", "是的。", "20学时"),
        ("每个月都可以去资历确认吗", "可以。", "26—30日"),
        ("年底之前要学完吗", "要。", "12月31日"),
        ("审核完第二天就能在证书上更新学时吗", "可以。", "次日"),
        # small talk the classifier guessed, for a message that asks something
        ("這個通知的文號是多少", "通知文号", "岳房培函"),
        ("中午去有人吗", "通知只说", HOTLINE),
        ("哪个房间", "资格确认地点", "305室"),
        # the fact asked
        ("登记表上要填么子内容", "报名登记表（附件2）上有", "身份证号码"),
        ("登记表上本人要做什么", "报名登记表", "签字"),
        ("网课可以用么子设备学", "电脑和手机都可以学", "湖南建设人才"),
        ("这个继续教育是哪个单位组织的", "发文单位", "房地产业协会"),
        ("手机端怎么登录学习平台", "手机学习", "湖南建设人才"),
        ("我关注了公众号，但是找不到继续教育在哪里点", "手机学习", "右下角"),
        ("Can I do the course on my phone?", "可以。", "湖南建设人才"),
        # the question asked, not the trip mentioned beside it
        ("25号能去确认吗，26号以后我要出差", "不可以。", "11月27"),
        ("能不能先繳費再去確認，月底我要出差", "不可以。", "合格后再缴"),
        ("我月底要出差去不了怎么办", "通知只说", "本人去不了"),
        # the rule's two ways; all the materials
        ("两种合格方式满足一种就行吧", "是的。", "满足其一"),
        ("32个学时能不能全部在网上学完", "可以。", "线上学满32学时"),
        ("去确认只带身份证就行了吧", "不是。", "岗位汇总表"),
        ("早上好！听说继续教育要交300是不是哦", "不是。", "100元"),
        # round Q-R: the question's own words, the reply's own facts
        ("冇得微信能学啵", "不可以。", "本人微信"),
        ("我老倌用他的微信帮我刷脸学 要得不", "不可以。", "本人微信"),
        ("我能用我一个微信把全组10个人的账号都绑了吗", "不可以。", "本人微信"),
        ("微信绑定是不是只能绑一个", "是。", "微信绑定唯一"),  # the reply says it is the only one
        ("劳物员也要搞继续教育啵", "要。", "劳务员"),  # a post typed with a slip
        ("线上学满32学时后还要培训点审合吗", "要。", "审核确认"),  # the audit asked, not the hours
        ("线上学了32学时审核通过了吗", "通知只说", HOTLINE),  # no yes to an audit's outcome
        ("线上25 + 线下证明12 ok吗", "可以。", "已经够了"),
        ("一人多岗是不是只交一次100晓得不", "是。", "只用缴纳一次"),
        ("报名登记选岳阳市房地产业协会，没错吧", "是的。", "岳阳市房地产业协会"),
        ("线下证明是拿到日报社305去交吗", "不是。", "上传"),
        ("网上的课程是培训单位统一帮我们注册的吗", "是的。", "培训实施单位"),
        ("报名后要自己去注测网课吗", "不用。", "培训实施单位"),
        ("去日报社确认的时候有人监督啵", "有。", "现场监督"),
        ("监督单位是住建局吧", "通知只说", HOTLINE),
        ("同事证书发证日期2023.05.12，这次名单要不要报他", "不用。", "2023年"),
        ("继续教育学时可以通过哪些方式取得", "两种方式", "线上"),
        ("附见4去哪里下载啊 群里没看到附件", "线下学时的证明", "后台下载"),
        ("今天能去305确任不？不能的话最早哪天", "不可以。", "11月27"),
        ("今年要学好多学时，几号前学完", "1. ", "12月31日"),
        ("哈喽 帮同事问下 fee是多少 在哪里确认", "1. ", "305室"),
        ("人在國外 繼續教育怎麼搞", "通知只说", HOTLINE),
        ("证书编号在哪里差", "通知只说", HOTLINE),
        ("汇总表交电子版还是纸质的", "通知只说", HOTLINE),
        ("有冇得微信群可以问", "通知只说", HOTLINE),
        ("報名登錄要用身份證號嗎", "要。", "身份证号码"),
        ("资格确认的时候城乡建设事务中心会有人在现场吗", "会。", "现场监督"),
        ("确认时间 地点 费用 一起发我下 我转到群里", "资格确认时间", "100元"),
        ("您好 打扰了 我们公司有12个人要参加，确认时间和地典麻烦再说一下", "资格确认时间", "305室"),
        ("交两次钱?", "不用。", "只用缴纳一次"),
        ("确认是不是只在月底那几天", "是。", "26—30日"),
        ("报名的时候选岳阳市住建局对吧", "不是。", "岳阳市房地产业协会"),  # another party chosen
        ("培训点审核完当天就能更新证书吗", "不可以。", "次日"),
        ("上传了线下证明，线上还要学吗", "要。", "20学时"),
        ("您好，我是公司管培训的，我们有25个人要做继续教育，是不是每个人都要交100", "是。", "100元"),
        # round U-V: names and numbers asked to confirm that the reply gives otherwise
        ("培训费是200块一个人吗", "不是。", "100元"),
        ("岗位汇总标是附件2吧", "不是。", "附件3"),
        ("登记表是附件2吧", "是的。", "附件2"),
        ("網址是hnjsrc.com吧", "不是。", "www.hnjsrcw.com"),
        ("网址是www.hnjsrcw.com吗", "是的。", "www.hnjsrcw.com"),
        ("确认地点是岳阳大道63号岳阳日报社对吧", "不是。", "36号"),
        ("资格确人是每个月25号到30号对不对", "不对。", "26—30日"),
        ("资格确认是每个月26号到30号对不对", "对。", "26—30日"),
        ("公众号是关注“湖南住建”对吧", "不是。", "湖南建设人才"),
        ("我记得是每年不少于36个学时吧？", "不是。", "32学时"),
        ("线上学时不少于20个是吧", "是的。", "20学时"),
        ("继续教育是不是搞一次管三年", "不是。", "每年"),
        ("继续教育学时是从拿证第二年开始算的吧", "是的。", "次年"),
        ("我2021年拿的施工员证，从来冇搞过继续教育，今年要搞吗", "要。", "32学时"),
        ("那个我是今年三月份才拿的证今年这个继续教育还要搞不咯", "不用。", "次年"),
        ("我有两个岗位证，钱要交两次啵", "不用。", "只用缴纳一次"),
        ("线上25，线下5，加起来30，够哒冇", "不够。", "线上"),
        ("线下培训能不能全部代替线上学习", "不可以。", "线上学习是必须的"),
        ("手机上可以学吗还是一定要电脑", "可以。", "湖南建设人才"),
        ("那个学习之前是不是一定要人脸识别啊嗯", "要。", "人脸识别"),
        ("线上20个学时加上传12个学时的证明这样算合格吗", "是的，合格。", "已经够了"),
        ("岳阳日报社305是确认的地方吗", "是的。", "305室"),
        ("明天去得？", "不可以。", "11月27"),
        ("嗯那钱是么子时候交就是报名的时候交还是么子时候交啊", "先到现场资格确认", "合格后"),
        ("那个我线上学完了然后电子证输上面的记录怎么更新啊就是要在哪里点", "培训审核后次日", "我的证书"),
        ("绑定危信是要用哪个的微信啊我自己的还是公司统一的", "微信绑定唯一", "本人微信"),
        ("哪个协会", "岳阳市房地产业协会", "报名登记"),
        ("岗位汇总表在哪里下载", "岗位汇总表就是本通知的附件3", HOTLINE),
        ("如果12月31号之前冇学完会怎么样啊明年还能补不", "通知只说", HOTLINE),
        ("我在网上参加了一个线上的讲座有证书这个能算线下学时吗", "通知只说", HOTLINE),
        ("我和我同事能不能用一个微信绑两个人的账号他冇得智能手机", "不可以。", "本人微信"),
        ("一个账号能绑两个微信吗", "不可以。", "微信绑定唯一"),
        # a value given otherwise, without its unit or in other words
        ("培训费200一个人对吧", "不是。", "100元/人"),
        ("确认地点是岳阳日报社306吧", "不是。", "305室"),
        ("公众号左下角点继续教育是吧", "不是。", "右下角"),
        ("继续教育是8月1号开始的吧", "不是。", "7月20日"),
        ("是7月20号开始的吗", "是的。", "7月20日"),
        ("继续教育到12月31号结束是不", "是的。", "最后一天"),
        ("先微信绑定和人脸识别，然后才能学习，对不", "是的。", "人脸识别"),
        ("学费是不是80", "不是。", "100元"),
        ("公众号叫湖南住建吧", "不是。", "湖南建设人才"),
        ("公重号是搜湖南住建吧", "不是。", "湖南建设人才"),
        ("公众号是湖南建设人才吧", "是的。", "湖南建设人才"),
        ("湖南建设人才公众号右下角点继续教育对吧", "是的。", "右下角"),
        # hours asked as a requirement, not stated as done; online hours making up for missing proof
        ("线下证明上传了15学时，线上还要学满20吗", "要。", "线上不少于20学时"),
        ("线下证明有12个学时了，线上要学满32吗", "不用。", "线上不少于20学时"),
        ("线下证明只有8个学时，可以用线上补吗", "可以。", "线上学满32学时"),
        # hours asked to go below a number: whether some way of the rule takes fewer of that kind
        ("线上学时能不能少于20", "不可以。", "线上不少于20学时"),
        ("线下能少于12个学时吗", "可以。", "线上学满32学时"),
        ("一年能不能少于32个学时", "不可以。", "每年不少于32学时"),
        ("每年学时不少于32吗", "是的。", "32学时"),
        # hours of no kind said of the year are the year's total
        ("每年32學時嗎", "是的。", "每年不少于32学时"),
        ("每年20学时吗", "不是。", "每年不少于32学时"),
        # a date asked of one's own confirmation is the calendar's
        ("今天开始确认了吗", "不可以。", "11月27"),
        # what logs in: a thing of its kind the notice does not list, and the password it does
        ("登录要输手机号吗", "不用。", "身份证号码、姓名、密码"),
        ("登录要密码吗", "要。", "身份证号码、姓名、密码"),
        ("密码忘了怎么办", "通知只说", HOTLINE),
        # one way enough is not the only way
        ("只用电脑学可以吗", "可以。", "电脑和手机都可以学"),
        ("只能用电脑学吗", "不是。", "电脑和手机都可以学"),
        # a year counted back from today's
        ("去年新取证的今年要学吗", "要。", "2022年取证的在范围内"),
        ("今年是2023年的继续教育，我前年拿的证也要学对吧", "是的。", "2021年取证的在范围内"),
        ("我证是2022年拿的，2022年当年不用搞继续教育，从2023年开始，对吧", "是的。", "2023年起"),
        # who organises, who opens the course, how learning is opened
        ("八大員繼續教育是哪個協會組織的", "岳阳市房地产业协会", "岳阳市房地产业协会"),
        ("网上的课是哪个帮我开的", "由培训实施单位", "注册"),
        ("怎么开通", "1. ", "交培训机构报名"),
        # a denial asked as such is answered as asked
        ("第2条是不是就不用上传证明了", "是。", "不用线下证明"),
        ("线下培训不算学时，是真的吗", "不是。", "可以计入学时"),
        # the platform's WeChat binding is not this chat's
        ("微信邦成我同事的了，怎么解绑", "通知只说", HOTLINE),
        ("我之前用我爱人的微信绑了，现在怎么解绑", "通知只说", HOTLINE),
        ("可以用我老婆的微信绑定吗", "不可以。", "本人微信"),
        # what the notice does not say
        ("去年的线下培训证明今年能用吗", "通知只说", HOTLINE),
        ("有没有APP下载", "通知只说", HOTLINE),
        ("身份证复印件要几分", "通知只说", "几份"),
        ("电子证书怎么打印出来", "通知只说", HOTLINE),
        ("一个学时是好长时间", "一个学时是多少分钟", HOTLINE),
        ("账号忘了", "通知只说", HOTLINE),
        ("Is there parking near the newspaper office?", "通知未说明", HOTLINE),
        ("手机能报名吗", "不能，报名要用电脑。", "电脑端报名"),  # the notice: 报名方式：电脑端报名
        ("登记表在哪打印", "报名登记表（附件2）在网上报名后生成", "自助打印"),
        ("现场能打印登记表吗", "通知只说", HOTLINE),
        ("可以用别人的电脑学吗", "通知只说", HOTLINE),  # whose computer is not whose WeChat
        ("线下证明可以补交吗", "通知只说", HOTLINE),
        ("交钱给哪个", "通知只说", HOTLINE),
        ("汇总表找哪个要", "岗位汇总表就是本通知的附件3", HOTLINE),
        ("登记表可以用复印件吗", "通知只说", HOTLINE),
        # steps in another order than the notice's
        ("能先学后报名吗", "不可以。", "报名登记"),
        ("能先审核再上传吗", "不可以。", "审核"),
        ("先确认后交钱是吧", "是的。", "合格后"),
        ("报名是不是要用电脑搞", "是。", "www.hnjsrcw.com"),
        ("能提前把明年的学时学了吗", "学时能不能跨年累计", HOTLINE),
        ("证书到期了还能搞继续教育吗", "通知只说", HOTLINE),
        ("学习不合格要重学吗", "没通过或被退回后怎么办", HOTLINE),
        # whether one may: a pair of words the notice never puts together is a subject it does not cover
        ("继续教育学时能抵职称的继续教育吗", "通知只说", HOTLINE),
        ("登记表盖错章了能重新打印不", "通知只说", HOTLINE),
        ("屋里冇得打印机，登记表可以手写不", "通知只说", HOTLINE),
        # stop 22: hours asked against a bound, a proof's amount required, troubles, claims
        ("线上学时可以超过20个吗", "可以。", "不少于20学时"),
        ("线上超过20的部分算不算进32里", "算。", "32学时"),
        ("线上冇满20个，线下再多也不作数咯", "是的。", "不少于20学时"),
        ("线上20个加证明的话，证明要满12个学时啵", "要。", "12学时"),
        ("线上32学时了，证明还要满12吗", "不用。", "线上学满32学时"),
        ("12个学时的线下证明是必须的吗", "不用。", "线上学满32学时"),
        ("视屏看完了学时没增加", "操作中遇到的问题", HOTLINE),
        ("100元包括教才吗", "通知只说", HOTLINE),
        ("线下学时证明可以不盖章吗", "不可以。", "签字盖章"),
        ("微信绑定可以两个人共用一个啵", "不可以。", "本人微信"),
        ("资格确认要带户口本吗", "不用。", "身份证复印件"),
        ("资格确认是人社局来现场监督吧", "不是。", "事务中心"),
        ("网上报名搞不清楚，找哪个问", "咨询电话", HOTLINE),
        ("学完了证书上会不会显示学时", "会。", "证书"),
        ("Is there an exam at the end of the course?", "有没有考试", HOTLINE),
    ],
)
def test_the_point_asked(ask, text, start, includes):
    reply = ask(text)
    assert reply.startswith(start), reply
    assert includes in reply, reply


def test_thanks_then_a_day_named_get_the_day_checked_and_a_polite_close(ask):
    reply = ask("好的谢谢，那我26号过去")  # 2023-11-26 is a Sunday
    assert reply.startswith("不可以。") and "11月27" in reply
    assert reply.endswith("有问题随时问我。")
    assert "有问题随时问我" not in ask("谢谢，明天能去确认吗")  # a question after thanks is just answered


def test_when_the_hotline_answers_is_not_a_confirmation_day(ask):
    reply = ask("諮詢電話多少？週末有人接嗎")
    assert "8981006" in reply and "\n2. " in reply
    assert "通知里没有说明" in reply.split("\n2. ")[1] and "确认日" not in reply


def test_a_question_leaning_on_the_next_is_read_with_it(ask):
    reply = ask("后天是最后一天了吧？还能去确认吗", dt.datetime(2023, 12, 27, 10, tzinfo=TZ))
    assert reply.startswith("可以。") and "12月29日" in reply and "\n2. " not in reply


def test_two_questions_joined_by_haiyou_are_each_answered(ask):
    reply = ask("您好！我想问一下，去确认要带什么材料，还有要交多少钱？谢谢")
    assert reply.startswith("1. ") and "岗位汇总表" in reply and "\n2. " in reply and "100元" in reply
    # hours joined by 还有 are one statement, not two questions
    reply = ask("我线上学了20学时，还有线下证明12学时，够了吗")
    assert reply.startswith("够。") and "\n2. " not in reply


def test_no_yes_to_another_partys_act(ask):
    for text in ("协会会组织线下培训吗", "线下培训是协会组织的吗"):
        assert not ask(text).startswith(YES), text


def test_parties_are_read_from_data():
    chooser = ClaimChecker((), (), "不", parties=[["协会"], ["住建局"]], choices=["选"])
    assert chooser.misattributed("选住建局吧", "选择“岳阳市—岳阳市房地产业协会”") == ["住建局"]
    assert chooser.misattributed("选协会吧", "选择“岳阳市—岳阳市房地产业协会”") == []
    checker = ClaimChecker((), (), "不", parties=[["协会", "你们"], ["单位", "企业"]], acts=["盖章"])
    assert checker.misattributed("登记表是协会盖章吗", "由在岗单位盖章") == ["协会"]
    assert checker.misattributed("登记表是企业盖章吗", "由在岗单位盖章") == []
    assert checker.misattributed("登记表盖章吗", "由在岗单位盖章") == []  # no party named
    assert ClaimChecker((), (), "不").misattributed("登记表是协会盖章吗", "由在岗单位盖章") == []
