import pytest


@pytest.fixture(scope="module")
def reader(interpreter):
    from nlu.aspects import AspectReader

    return AspectReader.load(interpreter.normalizer)


@pytest.mark.parametrize(
    "text", ["好的", "嗯", "嗯嗯 好", "收到", "👍", "👍👍", "🙏", "OK", "好的，知道了", "晓得了"]
)
def test_acknowledgements(reader, text):
    assert reader.shape(text).kind == "acknowledge"


@pytest.mark.parametrize("text", ["🤔", "。。。", "😂😂", "好的 谢谢老师"])
def test_other_symbols_and_thanks_are_not_acknowledgements(reader, text):
    assert reader.shape(text).kind != "acknowledge"


@pytest.mark.parametrize(
    ("text", "kind", "topic"),
    [
        ("你好", "exact", "greet"),
        ("886", "exact", "goodbye"),
        ("谢谢", "exact", "thank"),
        ("How much is the fee?", "english", "ask_fee"),
        ("Where is the confirmation office?", "english", "ask_confirmation_place"),
        ("Which WeChat account?", "english", "ask_mobile_learning"),
        ("Thank you", "exact", "thank"),
        ("Thanks a lot", "english", "thank"),
        ("What is this about?", "english", None),
        ("td", "question", None),
        ("我的wx绑错了", "question", None),
    ],
)
def test_fixed_phrases_and_english(reader, text, kind, topic):
    shape = reader.shape(text)
    assert (shape.kind, shape.topic) == (kind, topic)


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("你好，请问资格确认在哪里", "请问资格确认在哪里"),
        ("老师好！想问下培训费多少钱", "想问下培训费多少钱"),
        ("谢谢老师，另外想问下截止时间是哪天", "另外想问下截止时间是哪天"),
        ("好的。那资格确认要带什么", "那资格确认要带什么"),
        ("谢谢啊 帮大忙了", "谢谢啊 帮大忙了"),  # thanks throughout: nothing to cut
        (
            "三、继续教育资格确认 1、需提供资料:身份证复印件、网上生成报名登记表(见附件2)、岗位汇总表(见附件3)。"
            "3、资格确认地点:岳阳大道36号岳阳日报社305室。请问这个岗位汇总表在哪里拿？",
            "请问这个岗位汇总表在哪里拿？",
        ),
        (
            "您好！我是建工公司的资料员，我们单位有几个人要参加今年的继续教育，想问一下资格确认要带哪些材料？",
            "想问一下资格确认要带哪些材料？",
        ),
        (
            "五、收费标准 网上继续教育培训费100元/人，一人多岗只用缴纳一次。人脸识别一直不成功。怎么办？",
            "人脸识别一直不成功。怎么办？",
        ),
        # a short line copied from the notice under its heading or label: the question after it alone
        ("2、资格确认时间:报名截止前每月26-30日(工作日)。\n请问这个月30号能去不", "请问这个月30号能去不"),
        ("资格确认时间：报名截止前每月26-30日(工作日)。 这个月具体是哪几天？", "这个月具体是哪几天？"),
        ("问：我线上学了20学时。还差多少", "问：我线上学了20学时。还差多少"),  # no line of the notice
    ],
)
def test_the_question_in_a_message(reader, text, question):
    assert reader.shape(text).text == question


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1.培训费好多 2.在哪里确认 3.要带什么", ("培训费好多", "在哪里确认", "要带什么")),
        ("有几个问题：一是钱什么时候交；二是可以刷卡吗", ("钱什么时候交", "可以刷卡吗")),
        # a pasted list of rules followed by one question is one question
        ("四、合格条件 1. 在线学习不少于20学时。 2. 在线学习32学时。 我线上学了26个能合格吗", ()),
    ],
)
def test_a_numbered_list_of_questions_is_split(reader, text, parts):
    assert reader.shape(text).parts == parts


def test_a_short_greeting_to_someone_is_an_opener(reader):
    assert reader.shape("钟老师你好 打扰了 请问手机上在哪里学习").text == "请问手机上在哪里学习"


def test_a_question_pointing_back_keeps_the_sentence_it_points_at(reader):
    # "这个单位" is the 单位 of the pasted note; "这个学时证明" names its own topic and stands alone.
    pasted = "注：此表网上自助打印后单位盖章上交培训机构。\n这个单位是指我上班的公司吧？"
    shape = reader.shape(
        "四、合格条件：在线学习不少于20学时，上传学时证明不少于12学时，培训点进行培训审核确认。" + pasted
    )
    assert shape.text == "注：此表网上自助打印后单位盖章上交培训机构。这个单位是指我上班的公司吧？"
    own = reader.shape(
        "四、合格条件：在线学习不少于20学时，上传学时证明不少于12学时，培训点进行培训审核确认。这个学时证明就是附件4那个吧"
    )
    assert own.text == "这个学时证明就是附件4那个吧"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("明天去确认还来得及不，要交好多钱", ("明天去确认还来得及不", "要交好多钱")),
        ("能去确认吗，地点在哪里", ("能去确认吗", "地点在哪里")),
        ("明天能去确认吗", ()),  # one question
        ("我想问一下，在哪里确认", ()),  # the first clause asks nothing of its own
    ],
)
def test_a_yes_no_clause_then_a_what_question_are_two_questions(reader, text, parts):
    assert reader.shape(text).parts == parts


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        # voice input: no punctuation, a particle or a joining phrase starts the next question
        ("去确认要带什么东西过去还有就是地方在哪里", ("去确认要带什么东西过去", "地方在哪里")),
        ("明天不是调休上班吗那明天能去确认吗", ()),  # the first only leads to the second
        ("线下证明最多能抵几个学时", ()),  # one question
    ],
)
def test_questions_run_together_by_voice_are_split(reader, text, parts):
    assert reader.shape(text).parts == parts


def test_a_question_after_a_pasted_line_and_a_gap_is_the_question(reader):
    assert reader.shape(
        "学习前需要进行微信绑定账号以及人脸识别后方可开始学习  用别人微信绑定可以吗"
    ).text == ("用别人微信绑定可以吗")
    pointing = "注：此表网上自助打印后单位盖章上交培训机构。 这个单位是指哪个单位"
    assert reader.shape(pointing).text == pointing  # it points back at the line
    own = "我线上已经学了20个学时了还有线下12个 还要学多少"
    assert reader.shape(own).text == own  # the asker's own hours are kept


def test_a_short_message_of_one_clause_is_read_as_the_full_reading_reads_it(reader, interpreter):
    """The shortcut for a message with no space or punctuation gives what the full reading gives."""
    from nlu.shape import _ONE_CLAUSE_ENDS, Shape

    shaper = reader._shaper
    texts = [text for text, _ in interpreter.examples] + [
        "一是费用",
        "1.费用",
        "费用1、在哪",
        "一是什么二是什么",
    ]
    one_clause = [t.strip() for t in texts if t.strip() and not _ONE_CLAUSE_ENDS.search(t.strip())]
    assert len(one_clause) > 500
    for text in one_clause:
        shape = shaper.shape(text)
        if shape.kind == "question" and len(text) <= shaper._long:
            assert shaper._asking_part(text) == shape == Shape("question", text), text


@pytest.mark.parametrize(
    "text",
    [
        "老师好，费用多少",
        "老师好,费用多少",
        "老师好。费用多少",
        "老师好.费用多少",
        "老师好!费用多少",
        "老师好！费用多少",
        "费用多少?在哪里确认",
        "费用多少？在哪里确认",
        "老师好~费用多少",
        "老师好～费用多少",
        "老师好、费用多少",
        "老师好:费用多少",
        "老师好：费用多少",
        "老师好;费用多少",
        "老师好；费用多少",
        "老师好…费用多少",
        "老师好 费用多少",
        "老师好\u3000费用多少",
        "“每月26-30日工作日” 周末不能去吗",
        '"每月26-30日工作日" 周末不能去吗',
        "「每月26-30日工作日」周末不能去吗",
        "『每月26-30日工作日』周末不能去吗",
    ],
)
def test_a_message_of_several_clauses_is_not_read_as_one(reader, text):
    """Each mark that ends a clause or opens a quote keeps the message from the shortcut, where the full
    reading cuts it."""
    from nlu.shape import _ONE_CLAUSE_ENDS, Shape

    assert reader._shaper._asking_part(text) != Shape("question", text)
    assert _ONE_CLAUSE_ENDS.search(text)
    assert reader.shape(text) == reader._shaper._asking_part(text)
