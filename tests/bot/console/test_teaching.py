"""Grouping unanswered questions, and taught data merged into the training data and the campaign."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.app import Runtime
from bot.console.grouping import group_questions, jaccard, trigrams
from bot.console.teaching import LiveInterpreter, Taught, TaughtStore, TeachingError, TopicAnswer, swap_into
from bot.dialogue.brain import Brain
from bot.dialogue.seasons import SeasonalBrain
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound
from bot.kernel.settings import Settings
from knowledge.campaign import Campaign
from ledger.db import make_engine, migrate
from nlu.interpreter import Interpreter, LocalInterpreter, ParseResult
from nlu.training_data import TrainingData
from tests.timezone import SHANGHAI

AT = dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI)


def test_similar_questions_group_together_most_asked_first() -> None:
    groups = group_questions(
        [
            ("证书丢了怎么补办", "ask_not_in_notice"),
            ("附近哪里可以停车？", "nlu_fallback"),
            ("哪里可以停车", "nlu_fallback"),
            ("哪里可以停车", "nlu_fallback"),
            ("证书丢了怎么办", "ask_not_in_notice"),
            ("发票怎么开", "nlu_fallback"),
        ]
    )
    assert [(g.text, g.count) for g in groups] == [
        ("附近哪里可以停车？", 3),
        ("证书丢了怎么补办", 2),
        ("发票怎么开", 1),
    ]
    assert groups[0].texts == ["附近哪里可以停车？", "哪里可以停车"]
    assert groups[1].kinds == {"ask_not_in_notice"}


def test_trigram_similarity() -> None:
    assert jaccard(trigrams("哪里可以停车"), trigrams("哪裡可以停車！")) < 1
    assert jaccard(trigrams("哪里可以停车"), trigrams("哪里可以停车。")) == 1
    assert jaccard(trigrams("好"), trigrams("好")) == 1
    assert jaccard(trigrams("发票怎么开"), trigrams("哪里可以停车")) == 0


def test_only_approved_topics_and_known_intents_go_live(engine: Engine, campaign: Campaign) -> None:
    store = TaughtStore(engine)
    assert store.add_examples(["这个要几多米", "这个要几多米", " "], "ask_fee", "王芳", AT) == 1
    assert store.add_examples(["这个要几多米"], "ask_fee", "王芳", AT) == 0
    intent = store.add_topic("停车", "楼下可以停车。", "", ["哪里可以停车"], "王芳", AT)
    store.add_examples(["随便写的"], "no_such_intent", "王芳", AT)
    base = TrainingData(examples=[("交多少钱", "ask_fee")])

    taught = store.load()
    assert taught.training_data(base).examples == [("交多少钱", "ask_fee"), ("这个要几多米", "ask_fee")]
    assert taught.campaign(campaign) is campaign  # the draft is not live

    store.review_topic(intent, True, "李四", AT)
    with pytest.raises(TeachingError, match="已审核过"):
        store.review_topic(intent, False, "李四", AT)
    taught = store.load()
    assert ("哪里可以停车", intent) in taught.training_data(base).examples
    live = taught.campaign(campaign)
    assert live.answers[intent].full == "楼下可以停车。" and live.answers[intent].short == "楼下可以停车。"
    assert live.labels[intent] == "停车" and intent not in campaign.answers
    assert store.taught_texts() == {"这个要几多米", "哪里可以停车", "随便写的"}


def test_the_author_of_a_topic_cannot_approve_it_but_may_withdraw_it(engine: Engine) -> None:
    store = TaughtStore(engine)
    first = store.add_topic("停车", "楼下可以停车。", "", ["哪里可以停车"], "王芳", AT)
    with pytest.raises(TeachingError, match="本人写的，不能自己批准"):
        store.review_topic(first, True, "王芳", AT)
    assert [t["status"] for t in store.topics()] == ["draft"]  # nothing changed
    store.review_topic(first, True, "李四", AT)
    second = store.add_topic("发票", "可以开发票。", "", ["能开发票吗"], "王芳", AT + dt.timedelta(1))
    store.review_topic(second, False, "王芳", AT)
    reviewed = {t["intent"]: (t["status"], t["reviewed_by"]) for t in store.topics()}
    assert reviewed == {first: ("approved", "李四"), second: ("rejected", "王芳")}


def test_a_topic_needs_a_label_an_answer_and_a_short_sms_form(engine: Engine) -> None:
    store = TaughtStore(engine)
    with pytest.raises(TeachingError, match="主题名称和回答"):
        store.add_topic(" ", "回答", "", [], "王芳", AT)
    with pytest.raises(TeachingError, match="最多 70 字"):
        store.add_topic("长", "字" * 80, "", [], "王芳", AT)


class _Knows(LocalInterpreter):
    """A trained model that reads every message as one taught topic (training itself is tested elsewhere)."""

    def __init__(self, intent: str) -> None:
        self._intent = intent
        self.examples = []  # what it was trained on and how characters sound: nothing, for this test
        self.pinyin = {}

    def parse(self, text: str) -> ParseResult:
        top = {"name": self._intent, "confidence": 0.99}
        return {"text": text, "intent": top, "entities": [], "intent_ranking": [top]}


def test_a_swap_reaches_every_brain_behind_a_seasonal_brain(
    campaign: Campaign, interpreter: Interpreter
) -> None:
    clock = FixedClock(AT)
    live = LiveInterpreter(interpreter)
    seasonal = SeasonalBrain([campaign], clock, lambda c: Brain(c, live, clock))
    assert seasonal.handle(Inbound("sms", "1", "附近哪里可以停车")).intent in (
        "nlu_fallback",
        "ask_not_in_notice",
    )
    taught = Taught(topics={"taught_park": TopicAnswer("停车", "楼下可以停车。", "楼下可停车。")})
    swap_into(seasonal, live)(_Knows("taught_park"), taught)
    reply = seasonal.handle(Inbound("terminal", "2", "附近哪里可以停车"))
    assert (reply.intent, reply.text) == ("taught_park", "楼下可以停车。")
    assert seasonal.handle(Inbound("sms", "3", "附近哪里可以停车")).text == "楼下可停车。"


def test_every_command_loads_what_was_taught(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("JXJY_DATABASE_URL", "JXJY_CAMPAIGN_DIR", "JXJY_CAMPAIGN_FILE"):
        monkeypatch.delenv(name, raising=False)
    writer = make_engine(database_url)
    migrate(writer)
    store = TaughtStore(writer)
    intent = store.add_topic("停车", "楼下可以停车。", "", ["哪里可以停车"], "王芳", AT)
    store.review_topic(intent, True, "李四", AT)
    writer.dispose()
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key="k" * 32)
    taught = Runtime.create("2023-11-24T10:00:00+08:00", settings).taught()
    assert taught.examples == [("哪里可以停车", intent)] and intent in taught.topics
    fresh = Settings(data_dir=tmp_path / "empty")  # no database yet: nothing taught, nothing created
    assert Runtime.create(None, fresh).taught().topics == {}
    assert not (tmp_path / "empty" / "jxjy.sqlite3").exists()
