"""Intents that act (opt out, resume, unlink) fire only on an explicit command or a clear imperative.

Every interpreter's result goes through ``guard`` (the brain applies it, whichever engine parsed), so the
in-process engine and a Rasa server follow the same rule: "TD", "退订" or "不要再给我发短信了" opt out;
"退订是什么意思", "我要退订吗" or a lone "n" are questions or slips, answered with what the action does
and how to ask for it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

ParseResult = dict[str, Any]

ACTION_INTENTS = frozenset({"unsubscribe", "subscribe", "unbind"})
# Answers no engine is trained to give: only ``guard`` reads a message as one ("绑定是什么意思").
GUARDED_ANSWERS = frozenset({"ask_bind"})
# A guess at an action must be surer than at a question.
ACTION_THRESHOLD = 0.6
# The answer to a question about an action (what it means, how to ask for it).
ABOUT_ACTION = {"unsubscribe": "ask_unsubscribe", "subscribe": "ask_unsubscribe", "unbind": "ask_unbind"}

# Whole messages that are commands (like Rasa's KeywordIntentClassifier), compared case-folded,
# without spaces and punctuation; traditional spellings are listed for engines that do not fold them.
COMMANDS: dict[str, frozenset[str]] = {
    "unsubscribe": frozenset(
        {
            "td",
            "退订",
            "退定",
            "退訂",
            "取消订阅",
            "取消訂閱",
            "退订短信",
            "退订提醒",
            "取消提醒",
            "取消提醒短信",
        }
        | {"回复td", "td退订", "stop", "unsubscribe"}
    ),
    "subscribe": frozenset({"订阅", "訂閱", "恢复订阅", "重新订阅", "恢复提醒", "开启提醒", "恢復提醒"}),
    "unbind": frozenset({"解绑", "解綁", "解除绑定", "解除綁定", "取消绑定", "解邦", "解帮"}),
    "bind": frozenset({"绑定", "帮定", "邦定", "綁定", "我要绑定", "绑定身份证", "绑定账号"}),
}
# Carriers' "回T退订" uses a capital T; a lone lower-case t is more often a slip of the thumb.
CASE_SENSITIVE_COMMANDS = {"T": "unsubscribe"}

_NOISE = re.compile(r"[\s\W_]+")
NEGATED_ACTION = re.compile(r"(?:不|别|不要|不用|不想|没有?)(?:退订|订阅|解绑|解除绑定|取消)")
_QUESTION = re.compile(
    r"[?？吗嘛么啥]|什么|怎么|怎样|如何|是否|能否|能不能|可不可以|可以不|会不会|要不要|需不需要|有没有|是不是"
    r"|意思|为什么|为啥|后果|影响|区别|哪里|啵|呢|是吧|对吧|的吧$|不$|冇$"  # "绑定的微信要是本人自己的吧"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
# What a question names when it asks about an action, in case the engine could not place it at all.
_ACTION_WORDS = (
    (re.compile(r"解绑|解綁|解除绑定"), "ask_unbind"),
    (re.compile(r"退订|退訂|退定|订阅|訂閱|取消提醒|恢复提醒"), "ask_unsubscribe"),
)
FALLBACK = "nlu_fallback"
# A question about binding other than how to do it ("绑定之后能干嘛") is answered, not met with the prompt for an
# ID number; naming the study platform, it asks about the notice's WeChat binding ("绑定完会跳到学习界面么").
_HOW = re.compile(r"怎么|怎样|如何|咋")
_UNBINDING = re.compile(r"解|取消|换|错|删|撤")
_OPTING = re.compile(r"退|订|提醒|短信|消息|通知|td|stop", re.IGNORECASE)
_PLATFORM = re.compile(r"微信|扫码|二维码|人脸|学习|登录|系统|平台|公众号|app", re.IGNORECASE)


def _bare(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text))


_COMMAND_OF = {word: intent for intent, words in COMMANDS.items() for word in words}
_LONGEST_COMMAND = max(map(len, _COMMAND_OF))


# The engine and then the guard ask it of the same message: the last answers are kept.
@functools.lru_cache(maxsize=64)
def command(text: str) -> str | None:
    """The intent of a message that is exactly a command ("TD", "T", "退订", "解绑", "绑定"), else None."""
    if len(text) > 4 * _LONGEST_COMMAND:  # on the hot path: most messages are no command at all
        return None
    bare = _bare(text)
    return CASE_SENSITIVE_COMMANDS.get(bare) or _COMMAND_OF.get(bare.lower())


def is_question(text: str) -> bool:
    """Tell whether a message asks about something rather than asks for it ("退订是什么意思", "要退订吗")."""
    return _QUESTION.search(unicodedata.normalize("NFKC", text)) is not None


def is_negated(text: str) -> bool:
    """Tell whether a message refuses an action ("我不退订", "不要解绑")."""
    return NEGATED_ACTION.search(_bare(text)) is not None


def clear_imperative(text: str, confidence: float) -> bool:
    """A confident reading of a Chinese sentence that asks for the action, neither a question nor negated.

    Latin letters alone act only as an exact command: "n", "N" or "t" are not read as "stop".
    """
    folded = unicodedata.normalize("NFKC", text)
    return (
        confidence >= ACTION_THRESHOLD
        and _HAN.search(folded) is not None
        and not is_question(folded)
        and not is_negated(folded)
    )


def guard(parse: ParseResult) -> ParseResult:
    """Return ``parse`` with an action kept only when it is commanded; a question about it gets its answer."""
    text = str(parse.get("text", ""))
    top = parse["intent"]
    explicit = command(text)
    if explicit is not None:
        if top["name"] == explicit and float(top["confidence"]) == 1.0:
            return parse
        return _with_intent(parse, explicit, 1.0)
    name, confidence = top["name"], float(top["confidence"])
    if name == FALLBACK and is_question(text):
        about = next((intent for words, intent in _ACTION_WORDS if words.search(text)), None)
        return parse if about is None else _with_intent(parse, about, confidence)
    if name == "ask_unsubscribe" and not _OPTING.search(text):  # "“…合格后缴纳” 这句么子意思": no opt-out
        return _with_intent(parse, FALLBACK, confidence)
    if name == "ask_unbind" and not _UNBINDING.search(text):  # "绑定是什么意思" asks of binding
        return _with_intent(parse, "ask_bind", confidence)
    if name == "bind" and is_question(text) and not _HOW.search(text):
        return _with_intent(parse, "ask_wechat_binding" if _PLATFORM.search(text) else "ask_bind", confidence)
    if name not in ACTION_INTENTS or clear_imperative(text, confidence):
        return parse
    return _with_intent(parse, ABOUT_ACTION[name], confidence)


def _with_intent(parse: ParseResult, name: str, confidence: float) -> ParseResult:
    chosen = {"name": name, "confidence": confidence}
    ranking = [chosen] + [r for r in parse.get("intent_ranking", []) if r.get("name") != name]
    return {**parse, "intent": chosen, "intent_ranking": ranking}
