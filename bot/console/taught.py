"""What staff taught, as values: the examples and approved topics merged in whenever a model loads.

Kept apart from ``bot.console.teaching`` (the SQL store and the retrainer) so that answering a question
without a database never imports SQLAlchemy: `jxjy ask` on a fresh machine starts faster.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from knowledge.campaign import Answer, Campaign

if TYPE_CHECKING:
    from nlu.interpreter import Interpreter, ParseResult
    from nlu.training_data import TrainingData


@dataclass(frozen=True)
class TopicAnswer:
    """An approved topic: its label and its answer (full and SMS form)."""

    label: str
    full: str
    short: str


@dataclass
class Taught:
    """What staff taught: examples filed under an intent, and the approved topics."""

    examples: list[tuple[str, str]] = field(default_factory=list)
    topics: dict[str, TopicAnswer] = field(default_factory=dict)

    def training_data(self, base: TrainingData) -> TrainingData:
        """``base`` with the live taught examples appended: those of its intents or of approved topics."""
        live = set(base.intents) | set(self.topics)
        examples = [(text, intent) for text, intent in self.examples if intent in live]
        if not examples:
            return base
        return dataclasses.replace(base, examples=[*base.examples, *examples])

    def campaign(self, base: Campaign) -> Campaign:
        """``base`` with the approved topics' answers and labels added."""
        if not self.topics:
            return base
        answers = {**base.answers}
        labels = {**base.labels}
        for intent, topic in self.topics.items():
            answers[intent] = Answer(full=topic.full, short=topic.short)
            labels[intent] = topic.label
        return base.model_copy(update={"answers": answers, "labels": labels})


class LiveInterpreter:
    """An interpreter whose model can be replaced while the service runs; every brain holding it follows."""

    def __init__(self, target: Interpreter) -> None:
        self.target = target

    def parse(self, text: str) -> ParseResult:
        return self.target.parse(text)
