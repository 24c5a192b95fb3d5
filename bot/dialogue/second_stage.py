"""The brain's second stage: the message's shape before the classifier, the aspect asked after it.

Before the intent classifier: an acknowledgement (好的, 👍) gets a short close, English gets a short Chinese
answer or a one-line note, and a greeting or a pasted paragraph is cut down to its question. After it: the
aspect reader and the campaign's details compose the reply for the specific fact asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from knowledge.answers import FactFormatter, Form, local_date, render
from knowledge.campaign import Campaign
from knowledge.details import Composed, Composer
from knowledge.personal import render_message
from nlu.actions import ACTION_INTENTS
from nlu.aspects import AspectReader
from nlu.interpreter import PERSONAL_INTENTS, Interpreter, LocalInterpreter
from nlu.normalize import Normalizer
from nlu.shape import Shape
from nlu.training_data import load_training_data

ACKNOWLEDGE = "acknowledge"
MIN_UNANSWERED = 2  # characters of a question, absent from the notice, that make its yes/no unanswered
MAX_LEAD = 3  # 可以 / 不可以 / 不用 …: the longest yes/no word a reply is led with
# Small talk and commands: a detail applies to them only when it names them.
CLOSED_INTENTS = (
    frozenset({"greet", "goodbye", "thank", "bot_challenge", ACKNOWLEDGE, "bind"}) | ACTION_INTENTS
)


def default_reader(interpreter: Interpreter) -> AspectReader:
    """Read aspects with the classifier's own normaliser, or (for a remote NLU) width, case and synonyms."""
    if isinstance(interpreter, LocalInterpreter):
        return AspectReader.load(interpreter.normalizer)
    return AspectReader.load(Normalizer({}, load_training_data().synonyms))


class SecondStage:
    """Shape messages and compose aspect replies for one campaign."""

    def __init__(self, campaign: Campaign, reader: AspectReader) -> None:
        self.campaign = campaign
        self.reader = reader
        self.composer = Composer(campaign, PERSONAL_INTENTS, CLOSED_INTENTS)
        # Every character of what the notice says (not of what it leaves open): what a question may name and
        # the notice still speak of.
        said = campaign.model_dump_json(include={"campaign", "facts", "answers", "rules", "steps"})
        said += "".join(d.answer.full for d in campaign.details if d.answer is not None)
        self._notice_chars = frozenset(said)

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
        composed = self.campaign.composed
        formatter = FactFormatter(self.campaign, values)
        if shape.topic is None or shape.topic not in self.campaign.answers:
            note = composed["english_note"]
            return formatter.format(note.full if form == "full" else note.short), "nlu_fallback"
        answer = render(self.campaign, shape.topic, now, form="short", dates=values)
        wrapper = composed["english_answer"]
        text = FactFormatter(self.campaign, {**values, "answer": answer}).format(
            wrapper.full if form == "full" else wrapper.short
        )
        return text, shape.topic

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
        reading = self.reader.read(text, local_date(self.campaign, now))
        return self.composer.compose(intent, reading, now, form=form, values=values, entities=entities)

    def confirmed(self, question: str, reply: str, form: Form) -> str:
        """``reply`` led by 是的 when ``question`` asks to confirm a fact ("公众号是湖南建设人才吧") that the
        reply states in full; unchanged otherwise (a reply that already leads with its verdict included)."""
        word = self.reader.confirmation(question, reply)
        if word is None:
            return reply
        lead = self.campaign.composed["lead"]
        return (lead.full if form == "full" else lead.short).format(word=word) + reply

    def checked(self, question: str, reply: str, form: Form, values: Mapping[str, str]) -> str | None:
        """For a yes/no question whose content ``reply`` does not mention ("培训费能报销吗" against the fee
        answer): what the notice does say, then that it says nothing on the point asked, with the hotline.
        None when the reply answers what was asked."""
        missing = self.reader.unanswered(question, reply, self._notice_chars)
        if sum(map(len, missing)) < MIN_UNANSWERED:
            return None  # one stray character is more often a typo (收废, 陪训) than a new subject
        composed = self.campaign.composed
        pick = (lambda a: a.full) if form == "full" else (lambda a: a.short)
        first, _, rest = reply.partition("。")
        if rest and len(first) <= MAX_LEAD:
            reply = rest  # the yes/no word the topic's answer was led with: not what the notice says
        known = reply.split("。", 1)[0] if form == "short" else reply
        known = known.strip().rstrip("。；;，,")
        formatter = FactFormatter(self.campaign, {**values, "known": known})
        known_text = formatter.format(pick(composed["silent_known"]))
        return FactFormatter(
            self.campaign, {**values, "known": known_text, "topic": composed["silent_point"].full}
        ).format(pick(composed["silent"]))

    def offer_binding(self, now: dt.datetime, form: Form) -> str:
        """The line that follows a general answer to a personal question asked before binding."""
        return render_message(self.campaign, "offer_bind", now, form=form)
