"""The brain's second stage: the message's shape before the classifier, the aspect asked after it.

Before the intent classifier: an acknowledgement (好的, 👍) gets a short close, English gets a short Chinese
answer or a one-line note, and a greeting or a pasted paragraph is cut down to its question. After it: the
aspect reader and the campaign's details compose the reply for the specific fact asked.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.answers import FactFormatter, Form, local_date, render
from knowledge.campaign import Campaign
from knowledge.details import Composed, Composer
from knowledge.personal import personal_text, render_message
from nlu.actions import ACTION_INTENTS
from nlu.aspects import AspectReader
from nlu.claims import Known, pinyin_sound
from nlu.interpreter import PERSONAL_INTENTS, Interpreter, LocalInterpreter
from nlu.normalize import Normalizer
from nlu.shape import Shape
from nlu.training_data import load_training_data
from nlu.typos import SoundSlips

ACKNOWLEDGE = "acknowledge"
# Topics staff wrote in the console: their own answer is what staff want said, before any of the notice's
# details (a generic silence about parking must not hide the parking answer staff just approved).
TAUGHT_PREFIX = "taught_"
# Training intents whose examples are about what the notice does not cover: not part of its vocabulary.
UNCOVERED = frozenset({"ask_not_in_notice", "out_of_scope"})


def split_lead(reply: str) -> tuple[str | None, str]:
    """The yes/no word ``reply`` is led with and the rest ("可以。…" → ("可以", "…")), or (None, reply)."""
    first, _, rest = reply.partition("。")
    short = len(first) <= MAX_LEAD or _LONG_LEAD.fullmatch(first) is not None
    if rest and short and not any(ch.isdigit() or ch.isspace() for ch in first):
        return first, rest
    return None, reply


def _unled(reply: str) -> str:
    """``reply`` without the yes/no word it was led with ("可以。…" → "…")."""
    return split_lead(reply)[1]


def _about_notice(intent: str) -> bool:
    """Questions about the notice or one's own record (not commands such as 注销绑定, not small talk)."""
    return intent.startswith(("ask_", "my_")) and intent not in UNCOVERED


MAX_LEAD = 3  # 可以 / 不可以 / 不用 …: the longest yes/no word a reply is led with
# … or a yes with what it grants ("是的，够了", "是的，在", "是的，没问题") and "不算合格"
_LONG_LEAD = re.compile(r"是的，[\u4e00-\u9fff]{1,3}|不算合格")
# Small talk and commands: a detail applies to them only when it names them.
CLOSED_INTENTS = (
    frozenset({"greet", "goodbye", "thank", "bot_challenge", ACKNOWLEDGE, "bind"}) | ACTION_INTENTS
)


def default_reader(interpreter: Interpreter) -> AspectReader:
    """Read aspects with the classifier's own normaliser, or (for a remote NLU) width, case and synonyms."""
    return _reader(interpreter.normalizer if isinstance(interpreter, LocalInterpreter) else None)


@functools.lru_cache(maxsize=4)
def _reader(normalizer: Normalizer | None) -> AspectReader:
    """One reader per normaliser, shared by every brain of the process (a season's, a test's): reading the
    aspects file builds hundreds of expressions, and a reader holds nothing of one conversation."""
    if normalizer is None:
        normalizer = Normalizer({}, load_training_data().synonyms)
    return AspectReader.load(normalizer)


class SecondStage:
    """Shape messages and compose aspect replies for one campaign."""

    def __init__(
        self, campaign: Campaign, reader: AspectReader, interpreter: Interpreter | None = None
    ) -> None:
        self.campaign = campaign
        self.reader = reader
        self._inputs = _Inputs(campaign, reader, interpreter)
        self.composer = Composer(campaign, PERSONAL_INTENTS, CLOSED_INTENTS, ACTION_INTENTS | {"bind"})

    def shape(self, text: str) -> Shape:
        """Acknowledgement, English or question; for a question, the part that asks."""
        return self.reader.shape(text)

    def shaped_reply(
        self, shape: Shape, form: Form, now: dt.datetime, values: Mapping[str, str]
    ) -> tuple[str, str]:
        """The reply and the intent for an acknowledgement, a fixed phrase or an English message."""
        if shape.kind == "acknowledge" or shape.topic == ACKNOWLEDGE:
            return render(self.campaign, ACKNOWLEDGE, now, form=form, dates=values), ACKNOWLEDGE
        if shape.kind == "exact" and shape.topic in self.campaign.answers:
            return render(self.campaign, shape.topic, now, form=form, dates=values), shape.topic
        if shape.topic is None or shape.topic not in self.campaign.answers:
            note = self.campaign.composed["english_note"]
            return FactFormatter(self.campaign, values).format(note.pick(form)), "nlu_fallback"
        answer = render(self.campaign, shape.topic, now, form="short", dates=values)
        return self.in_english(answer, form, values), shape.topic

    def compose(
        self,
        intent: str,
        text: str,
        entities: list[Mapping[str, Any]],
        now: dt.datetime,
        form: Form,
        values: Mapping[str, str],
    ) -> Composed | None:
        """The reply for the aspect ``text`` asks about ``intent``, or None for the intent's own answer."""
        if intent.startswith(TAUGHT_PREFIX):
            return None
        reading = self.reader.read(text, local_date(self.campaign, now), self.slips())
        return self.composer.compose(intent, reading, now, form=form, values=values, entities=entities)

    def confirmed(self, question: str, reply: str, form: Form) -> str:
        """``reply`` led by 是的 when ``question`` asks to confirm a fact ("公众号是湖南建设人才吧") that the
        reply states in full; unchanged otherwise (a reply that already leads with its verdict included)."""
        word = self.reader.confirmation(question, reply, self.known)
        return reply if word is None else self._led(word, reply, form)

    def contradicted(self, question: str, reply: str, form: Form) -> str | None:
        """``reply`` led by the no-word when ``question`` asks to confirm an amount the reply gives otherwise
        ("培训费是200元吗" → "不是。…100元/人…"); None otherwise."""
        word = self.reader.contradiction(question, reply, self.known)
        return None if word is None else self._led(word, _unled(reply), form)

    def vetted(
        self, question: str, reply: str, form: Form, values: Mapping[str, str], *, broad: bool = False
    ) -> tuple[str, bool] | None:
        """What a reply to a yes/no question becomes once checked against what it asks: led by the no-word
        when it gives an amount otherwise (``contradicted``), or the notice's silence when it does not answer
        the point (``checked``; then True: the reply is no longer the topic's). None: the reply stands."""
        contradicted = self.contradicted(question, reply, form)
        if contradicted is not None:
            return contradicted, False
        unanswered = self.checked(question, reply, form, values, broad=broad)
        return None if unanswered is None else (unanswered, True)

    def _led(self, word: str, reply: str, form: Form) -> str:
        return self.lead(word, form) + reply

    def lead(self, word: str, form: Form) -> str:
        """The yes/no word a reply starts with, as the campaign writes it ("可以。")."""
        return str(self.campaign.composed["lead"].pick(form).format(word=word))

    def checked(
        self, question: str, reply: str, form: Form, values: Mapping[str, str], *, broad: bool = False
    ) -> str | None:
        """For a yes/no question whose content ``reply`` does not mention ("培训费能报销吗" against the fee
        answer): what the notice does say, then that it says nothing on the point asked, with the hotline.
        A ``broad`` yes (any yes/no question about the topic) is withheld from a question that denies
        something too ("是免费的吗" is no yes to the fee). None when the reply answers what was asked."""
        if not (broad and self.reader.negated(question, reply)) and not self.reader.unanswered(
            question, reply, self.known()
        ):
            return None
        composed = self.campaign.composed
        reply = _unled(reply)  # the yes/no word the topic's answer was led with is not what the notice says
        known = reply.split("。", 1)[0] if form == "short" else reply
        known = known.strip().rstrip("。；;，,")
        formatter = FactFormatter(self.campaign, {**values, "known": known})
        known_text = formatter.format(composed["silent_known"].pick(form))
        return FactFormatter(
            self.campaign, {**values, "known": known_text, "topic": composed["silent_point"].pick(form)}
        ).format(composed["silent"].pick(form))

    def in_english(self, answer: str, form: Form, values: Mapping[str, str]) -> str:
        """A Chinese answer to an English question, with the note that the bot answers in Chinese."""
        wrapper = self.campaign.composed["english_answer"]
        return FactFormatter(self.campaign, {**values, "answer": answer}).format(wrapper.pick(form))

    def known(self) -> Known:
        """What the notice says, and what the questions it was trained on speak of (not what it leaves open):
        the characters a yes/no question may use and still be about the notice."""
        return _known(self._inputs)

    def slips(self) -> SoundSlips:
        """The slips of the pinyin input the cues are read through ("所定" for 锁定): pairs of characters
        neither the notice nor the training questions use, that sound like a pair of a cue word."""
        return _slips(self._inputs)

    def offer_binding(self, now: dt.datetime, form: Form, values: Mapping[str, str] | None = None) -> str:
        """The line that follows a general answer to a personal question asked before binding (``values``:
        today's date-dependent values, when known)."""
        if values is None:
            return render_message(self.campaign, "offer_bind", now, form=form)
        return personal_text(self.campaign, "offer_bind", form, values)


@dataclass(frozen=True, eq=False)
class _Inputs:
    """What a stage's known words and slips are derived from. Equal only to the same three objects, so every
    stage over them (a season's brains, a test's fresh brains, a retrained model's) shares one build."""

    campaign: Campaign
    reader: AspectReader
    interpreter: Interpreter | None

    def __hash__(self) -> int:
        return hash((id(self.campaign), id(self.reader), id(self.interpreter)))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Inputs)
            and self.campaign is other.campaign
            and self.reader is other.reader
            and self.interpreter is other.interpreter
        )

    def sources(self) -> tuple[str, Sequence[tuple[str, str]], LocalInterpreter | None]:
        """The notice's text (its facts and answers), the questions the model learned from, and the
        in-process interpreter that holds them (None for a Rasa server: the training data is read)."""
        said = self.campaign.model_dump_json(include={"campaign", "facts", "answers", "rules", "steps"})
        target = getattr(self.interpreter, "target", self.interpreter)  # the one a live wrapper holds
        local = target if isinstance(target, LocalInterpreter) else None
        examples = local.examples if local is not None else load_training_data().examples
        return said, examples, local


def _sound(local: LocalInterpreter | None) -> Callable[[str], str] | None:
    if local is None:
        return None
    table = local.pinyin
    return lambda ch: table.get(ch, "")


# Built at the first question that needs them, then kept while their inputs are among the last few used (a
# cached entry holds its inputs: no id is reused while it lives).
@functools.lru_cache(maxsize=8)
def _known(inputs: _Inputs) -> Known:
    said, examples, local = inputs.sources()
    said += "".join(d.answer.full for d in inputs.campaign.details if d.answer is not None)
    said += "\n".join(t for t, intent in examples if _about_notice(intent))
    return inputs.reader.known(inputs.reader.fold(said) + said, _sound(local))


@functools.lru_cache(maxsize=8)
def _slips(inputs: _Inputs) -> SoundSlips:
    said, examples, local = inputs.sources()
    said += "\n".join(t for t, _ in examples)
    sound = _sound(local) or pinyin_sound()
    # the posts the notice lists are words a slip is read into too ("劳物员" for 劳务员)
    cues = (*inputs.reader.cue_words, *inputs.campaign.facts.posts)
    return SoundSlips(cues, inputs.reader.fold(said) + said, sound, inputs.reader.plain_chars)
