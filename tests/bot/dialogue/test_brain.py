import datetime as dt
import re

import pytest

from bot.dialogue.brain import Brain
from bot.dialogue.conversation import MemoryConversationStore
from bot.dialogue.desk import LedgerDesk
from bot.dialogue.notices import MemoryNotifier
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound
from ledger.binding import BindingService
from ledger.store import MemoryLedgerStore
from tests.records import trainee

NOW = dt.datetime(2023, 11, 24, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LIU_ID = "430621199208284985"
CODE = re.compile(r"\d{6}")


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def store():
    store = MemoryLedgerStore()
    store.add(
        LIU_ID,
        trainee(
            trainee_id=0,
            id_masked="",
            registered=True,
            confirmed=True,
            confirmed_on=dt.date(2023, 10, 26),
            online_hours=24,
            offline_hours=6,
        ),
    )
    return store


@pytest.fixture
def notifier():
    return MemoryNotifier()


@pytest.fixture
def brain(campaign, interpreter, clock, store, notifier):
    desk = LedgerDesk(store, BindingService(store, clock), clock, campaign, notifier)
    return Brain(campaign, interpreter, clock, personal=lambda: desk)


def say(brain, text, user="u1", channel="telegram"):
    return brain.handle(Inbound(channel, user, text))


def with_code(brain, notifier, reply, user="u1"):
    """Finish a binding from a chat with the code the ledger phone received."""
    assert "验证码已发送到132****5393" in reply.text
    return say(brain, CODE.search(notifier.sent[-1].text).group(0), user=user)


def test_follow_up_reads_within_the_previous_topic(brain):
    assert say(brain, "电脑上怎么学习").intent == "ask_pc_learning"
    reply = say(brain, "那手机呢")
    assert reply.intent == "ask_mobile_learning" and "湖南建设人才" in reply.text
    assert say(brain, "资格确认在哪里").intent == "ask_confirmation_place"
    reply = say(brain, "什么时候去")
    assert reply.intent == "ask_confirmation_time" and "11月27、28、29、30日" in reply.text


def test_context_belongs_to_one_conversation_and_expires(brain, clock):
    say(brain, "要交钱吗", user="a")
    assert say(brain, "两个岗位呢", user="a").intent == "ask_fee"
    assert say(brain, "两个岗位呢", user="b").intent != "ask_fee"  # b never asked about the fee
    say(brain, "要交钱吗", user="a")
    clock.advance(dt.timedelta(hours=1))
    assert say(brain, "两个岗位呢", user="a").intent != "ask_fee"


def test_fallback_offers_topics_and_the_hotline(brain):
    reply = say(brain, "今天天气怎么样")
    assert reply.intent == "nlu_fallback"
    assert "1. " in reply.text and "0730-8981006" in reply.text


def test_a_number_picks_an_offered_topic(brain):
    offered = say(brain, "今天天气怎么样").text
    second = next(line for line in offered.splitlines() if line.startswith("2. "))[3:]
    reply = say(brain, "２")  # full-width, as phones often type it
    assert reply.confidence == 1.0 and reply.intent != "nlu_fallback"
    assert brain.campaign.labels[reply.intent] == second
    assert say(brain, "2").intent == "nlu_fallback"  # the offer was used up


def test_sms_gets_the_short_form(brain):
    reply = say(brain, "资格确认要带什么", channel="sms", user="13900000000")
    assert reply.intent == "ask_confirmation_materials"
    assert len(reply.text) <= 70


def test_personal_question_needs_binding_first(brain):
    reply = say(brain, "我还差几个学时")
    assert reply.intent == "my_hours" and "绑定" in reply.text and "24" not in reply.text


def test_guided_binding_then_own_numbers(brain, notifier):
    assert "身份证号" in say(brain, "绑定").text
    reply = with_code(brain, notifier, say(brain, f"{LIU_ID} 刘洋"))
    assert reply.intent == "bind" and "绑定成功" in reply.text and "4306**********4985" in reply.text
    assert LIU_ID not in reply.text
    hours = say(brain, "我还差几个学时")
    assert "线上24学时" in hours.text and "还差线下证明6学时" in hours.text
    todo = say(brain, "我还要做什么")
    assert todo.intent == "my_todo" and "缴培训费100元" in todo.text
    assert say(brain, "解绑").text.startswith("已解除绑定")
    assert "绑定" in say(brain, "我的进度").text


def test_id_first_then_the_name(brain, notifier):
    assert "还需要姓名" in say(brain, LIU_ID).text
    assert say(brain, "收费").intent == "ask_fee"  # a real question is still answered
    assert "还需要姓名" in say(brain, LIU_ID).text
    reply = with_code(brain, notifier, say(brain, "刘洋"))
    assert reply.intent == "bind" and "绑定成功" in reply.text


def test_wrong_name_and_unknown_id_get_the_same_refusal(brain):
    wrong_name = say(brain, f"绑定 {LIU_ID} 张三", user="x").text
    unknown = say(brain, "绑定 110101199003074514 刘洋", user="y").text
    assert wrong_name == unknown and "没能绑定" in wrong_name


def test_bad_check_digit_is_refused(brain):
    assert "校验不通过" in say(brain, "绑定 430621199208284984 刘洋").text


def test_five_failures_an_hour_then_refused(brain, clock, notifier):
    for _ in range(5):
        assert "没能绑定" in say(brain, f"绑定 {LIU_ID} 张三").text
    assert "尝试次数过多" in say(brain, f"绑定 {LIU_ID} 刘洋").text
    clock.advance(dt.timedelta(hours=1, minutes=1))
    assert "绑定成功" in with_code(brain, notifier, say(brain, f"绑定 {LIU_ID} 刘洋")).text


def test_sms_opt_out_by_the_phone_on_record(brain, store):
    reply = say(brain, "TD", channel="sms", user="13207425393")
    assert reply.intent == "unsubscribe" and "已退订" in reply.text
    assert store.find_by_phone("13207425393").opted_out
    say(brain, "订阅", channel="sms", user="13207425393")
    assert not store.find_by_phone("13207425393").opted_out


def test_personal_answer_after_the_deadline(brain, clock, notifier):
    with_code(brain, notifier, say(brain, f"绑定 {LIU_ID} 刘洋"))
    clock.advance(dt.timedelta(days=40))
    assert "已于2023年12月31日结束" in say(brain, "我合格了吗").text


def test_idle_conversations_are_forgotten(campaign, interpreter, clock):
    store = MemoryConversationStore(sweep_at=3)
    brain = Brain(campaign, interpreter, clock, conversations=store)
    for user in ("a", "b", "c"):
        say(brain, "费用", user=user)
    clock.advance(dt.timedelta(hours=1))
    say(brain, "费用", user="d")
    assert store.conversations() == {("telegram", "d")}


def test_active_conversations_are_kept_and_sweeps_stay_rare(campaign, interpreter, clock):
    store = MemoryConversationStore(sweep_at=2)
    brain = Brain(campaign, interpreter, clock, conversations=store)
    for user in "abcde":
        say(brain, "费用", user=user)
    assert len(store) == 5  # all active: nothing forgotten


def test_date_answers_follow_the_clock_across_midnight(campaign, interpreter):
    clock = FixedClock(dt.datetime(2023, 11, 26, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    brain = Brain(campaign, interpreter, clock)
    assert "今天（11月26日）不办理" in say(brain, "资格确认什么时候").text
    clock.advance(dt.timedelta(minutes=2))
    assert "今天（11月27日）就是确认日" in say(brain, "资格确认什么时候").text


@pytest.mark.parametrize("text", ["好的", "嗯", "👍", "收到", "明白了"])
def test_acknowledgements_get_a_short_close(brain, text):
    reply = say(brain, text)
    assert reply.intent == "acknowledge" and "没听懂" not in reply.text and len(reply.text) <= 20


def test_english_gets_a_short_chinese_answer_or_a_note_and_the_hotline(brain):
    fee = say(brain, "How much is the fee?")
    assert fee.intent == "ask_fee" and "100元" in fee.text and "0730-8981006" in fee.text
    other = say(brain, "What is this service about?")
    assert other.intent == "nlu_fallback" and "中文" in other.text and "13762061108" in other.text


def test_a_pasted_paragraph_is_answered_by_its_question(brain):
    pasted = (
        "五、继续教育收费标准 网上继续教育培训费 100 元/人（按人缴纳，一人多岗只用缴纳一次），"
        "在现场资格确认后合格后缴纳。我有两个岗位要交几次钱"
    )
    reply = say(brain, pasted)
    assert reply.intent in {"ask_fee", "ask_posts"} and "一人多岗只用缴纳一次" in reply.text


def test_a_greeting_before_a_question_is_not_the_answer(brain):
    assert "岳阳大道36号" in say(brain, "老师好！请问资格确认在哪里").text


def test_a_personal_question_with_a_general_answer_is_answered_then_binding_offered(brain, notifier):
    reply = say(brain, "我线上学了20学时够吗")
    assert reply.text.startswith("不够。") and "线上学满32学时" in reply.text
    assert "绑定 身份证号 姓名" in reply.text
    with_code(brain, notifier, say(brain, f"绑定 {LIU_ID} 刘洋"))
    own = say(brain, "我线上学了20学时够吗")  # bound: the ledger's own numbers
    assert own.text.startswith("刘洋") and "线上24学时" in own.text


def test_progress_lists_every_step_left(brain, notifier):
    with_code(brain, notifier, say(brain, f"绑定 {LIU_ID} 刘洋"))
    text = say(brain, "我的学习进度").text
    assert "1. 缴培训费100元" in text and "2. 上传线下学时证明（附件4），还差6学时" in text
    assert "另一种办法：线上8学时（线上学满32学时）" in text


def test_the_binding_example_id_passes_the_check_digit(brain):
    from ledger.validate import check_id_number

    prompt = say(brain, "绑定").text
    example = next(word for word in re.findall(r"\d{17}[\dX]", prompt))
    assert check_id_number(example, NOW.date()) == example


def test_relative_dates_follow_the_clock(campaign, interpreter):
    clock = FixedClock(dt.datetime(2023, 11, 24, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))  # a Friday
    brain = Brain(campaign, interpreter, clock)
    assert say(brain, "今天能去资格确认吗").text.startswith("不可以。今天（11月24日，周五）")
    assert say(brain, "下周一能去确认吗").text.startswith("可以。下周一（11月27日，周一）是资格确认日")


def test_a_seasonal_brain_warms_the_brain_of_the_moment_before_any_message(campaign, interpreter) -> None:  # type: ignore[no-untyped-def]
    from bot.dialogue.seasons import SeasonalBrain

    clock = FixedClock(NOW)
    built: list[Brain] = []

    def brain_for(c):  # type: ignore[no-untyped-def]
        built.append(Brain(c, interpreter, clock))
        return built[-1]

    seasonal = SeasonalBrain([campaign], clock, brain_for)
    assert seasonal.brains() == []
    seasonal.warm_up()
    assert seasonal.brains() == built and len(built) == 1
    seasonal.handle(Inbound("sms", "1", "学费多少钱"))
    assert len(built) == 1  # the first message is answered by the brain warmed before it
