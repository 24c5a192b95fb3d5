import pytest

from nlu.interpreter import FALLBACK


def intent(interpreter, text):
    return interpreter.parse(text)["intent"]["name"]


def test_result_has_rasa_shape(interpreter):
    result = interpreter.parse("费用多少")
    assert set(result) == {"text", "intent", "entities", "intent_ranking"}
    assert result["text"] == "费用多少"
    assert set(result["intent"]) == {"name", "confidence"}
    assert 0.0 <= result["intent"]["confidence"] <= 1.0
    ranking = result["intent_ranking"]
    assert ranking[0] == result["intent"]
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("费用", "ask_fee"),
        ("地址", "ask_confirmation_place"),
        ("电话", "ask_contact"),
        ("资格确任在哪里", "ask_confirmation_place"),  # near-homophone typo
        ("怎么帮定微信", "ask_wechat_binding"),
        ("資格確認要帶什麼材料", "ask_confirmation_materials"),  # traditional characters
        ("要交好多钱", "ask_fee"),  # Hunan colloquial
        ("么子时候截止", "ask_period"),
        ("你好，请问一年要学多少学时", "ask_hours"),  # wrapped in a greeting
        ("你好", "greet"),
        ("谢谢", "thank"),
        ("发票怎么开", "ask_not_in_notice"),
        ("密码忘记了", "ask_not_in_notice"),
    ],
)
def test_colloquial_messages(interpreter, text, expected):
    assert intent(interpreter, text) == expected


@pytest.mark.parametrize("text", ["今天天气怎么样", "帮我订个外卖", "股票会涨吗", "asdfgh"])
def test_out_of_scope_is_nlu_fallback(interpreter, text):
    result = interpreter.parse(text)
    assert result["intent"]["name"] == FALLBACK
    assert "out_of_scope" not in {r["name"] for r in result["intent_ranking"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TD", "unsubscribe"),
        ("ｔｄ", "unsubscribe"),
        ("T", "unsubscribe"),
        ("退订", "unsubscribe"),
        ("订阅", "subscribe"),
        ("解绑", "unbind"),
    ],
)
def test_commands_are_certain(interpreter, text, expected):
    assert interpreter.parse(text)["intent"] == {"name": expected, "confidence": 1.0}


def test_bind_with_id_and_name(interpreter):
    result = interpreter.parse("绑定 43062119920828498x 刘洋")
    assert result["intent"]["name"] == "bind"
    values = {e["entity"]: e["value"] for e in result["entities"]}
    assert values == {"id_number": "43062119920828498X", "name": "刘洋"}


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script>", "我不退订", "不要解绑", "退订是什么意思", "我要退订吗", "n", "N"]
)
def test_actions_need_a_sure_reading(interpreter, text):
    assert interpreter.parse(text)["intent"]["name"] not in {"unsubscribe", "subscribe", "unbind"}


@pytest.mark.parametrize("text", ["别再给我发短信了", "不要再提醒我了", "取消提醒"])
def test_plain_requests_to_stop_still_unsubscribe(interpreter, text):
    assert interpreter.parse(text)["intent"]["name"] == "unsubscribe"


def test_a_text_seen_again_gets_the_same_parse_as_a_copy_of_its_own(interpreter):
    first = interpreter.parse("培训费多少钱")
    first["intent"]["name"] = "changed by a caller"
    first["entities"].append({"entity": "x"})
    first["intent_ranking"][0]["confidence"] = -1.0
    again = interpreter.parse("培训费多少钱")
    assert again == interpreter._parse("培训费多少钱")
    assert again["intent"]["name"] == "ask_fee"
    assert "培训费多少钱" in interpreter._kept


def test_texts_with_personal_data_or_long_ones_are_not_kept(interpreter):
    for text in ("绑定 430602199001011237 张三", "我的电话13912345678", "培训费" * 30):
        assert interpreter.parse(text) == interpreter._parse(text)
        assert text not in interpreter._kept


def test_the_kept_parses_are_bounded(interpreter, monkeypatch):
    import nlu.interpreter

    monkeypatch.setattr(nlu.interpreter, "PARSE_CACHE_SIZE", 3)
    for n in range(6):
        interpreter.parse(f"第{n}个问题")
    assert len(interpreter._kept) <= 3
    assert "第5个问题" in interpreter._kept and "第0个问题" not in interpreter._kept
