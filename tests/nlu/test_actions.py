"""The action guard on its own: commands, questions, slips and negations, whatever engine parsed."""

import pytest

from nlu.actions import command, guard


def parsed(text: str, intent: str, confidence: float) -> dict[str, object]:
    top = {"name": intent, "confidence": confidence}
    return {"text": text, "intent": top, "entities": [], "intent_ranking": [top]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TD", "unsubscribe"),
        ("td", "unsubscribe"),
        (" Ｔ ", "unsubscribe"),
        ("T", "unsubscribe"),
        ("t", None),  # a lone lower-case t is a slip more often than an order
        ("n", None),
        ("N", None),
        ("退订。", "unsubscribe"),
        ("退訂", "unsubscribe"),
        ("取消提醒", "unsubscribe"),
        ("订阅", "subscribe"),
        ("解绑！", "unbind"),
        ("绑定", "bind"),
        ("退订是什么意思", None),
    ],
)
def test_commands_are_whole_messages(text: str, expected: str | None) -> None:
    assert command(text) == expected


@pytest.mark.parametrize(
    ("text", "engine_says", "expected"),
    [
        ("退订是什么意思", "unsubscribe", "ask_unsubscribe"),
        ("我要退订吗", "unsubscribe", "ask_unsubscribe"),
        ("t", "unsubscribe", "ask_unsubscribe"),
        ("stop it", "unsubscribe", "ask_unsubscribe"),
        ("我不退订", "unsubscribe", "ask_unsubscribe"),
        ("解绑有什么影响", "unbind", "ask_unbind"),
        ("要订阅吗", "subscribe", "ask_unsubscribe"),
        ("不要再给我发短信了", "unsubscribe", "unsubscribe"),
        ("绑错人了 帮我解绑", "unbind", "unbind"),
        ("TD", "nlu_fallback", "unsubscribe"),  # an engine unsure of a command is overruled
        ("怎么退订", "nlu_fallback", "ask_unsubscribe"),
        ("今天天气怎么样", "nlu_fallback", "nlu_fallback"),
        ("费用多少", "ask_fee", "ask_fee"),
        # a question about binding is answered; only the command or "how" gets the prompt for an ID number
        ("绑定之后能干嘛", "bind", "ask_bind"),
        ("绑定完系统会自己跳到学习界面么", "bind", "ask_wechat_binding"),
        ("怎么绑定", "bind", "bind"),
        ("我要绑定", "bind", "bind"),
    ],
)
def test_guard(text: str, engine_says: str, expected: str) -> None:
    assert guard(parsed(text, engine_says, 0.97))["intent"]["name"] == expected


def test_an_unsure_imperative_does_not_act() -> None:
    assert guard(parsed("别再发了", "unsubscribe", 0.5))["intent"]["name"] == "ask_unsubscribe"


def test_an_overruled_reading_keeps_the_rest_of_the_ranking() -> None:
    result = guard(parsed("TD", "ask_fee", 0.4))
    assert result["intent"] == {"name": "unsubscribe", "confidence": 1.0}
    assert [r["name"] for r in result["intent_ranking"]] == ["unsubscribe", "ask_fee"]
