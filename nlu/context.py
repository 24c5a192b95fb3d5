"""Read a short follow-up within the topic of the previous answer ("电脑上怎么学习" → "那手机呢")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.kernel.yamlfile import load_yaml

DEFAULT_CONTEXT_FILE = Path(__file__).parent / "data" / "context.yml"
_MARKER = re.compile(r"^(?:那|那么|那个|还有|然后|再|另外)|(?:呢|勒|嘞|咧)$")
FOLLOWUP_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Topic:
    intents: frozenset[str]
    aspects: dict[str, str]  # aspect -> intent


class FollowupRules:
    """Map (previous intent, aspect named in a short message) to the intent the message means."""

    def __init__(
        self, max_length: int, aspects: dict[str, str], topics: dict[str, Topic], own_topic: str = ""
    ) -> None:
        self.max_length = max_length
        self._own_topic = re.compile(own_topic) if own_topic else None
        self._aspects = {name: re.compile(cue) for name, cue in aspects.items()}
        self._topic_of = {intent: topic for topic in topics.values() for intent in topic.intents}

    @classmethod
    def load(cls, path: Path | str = DEFAULT_CONTEXT_FILE) -> FollowupRules:
        raw = load_yaml(Path(path).read_text(encoding="utf-8"))["followup"]
        topics = {
            name: Topic(frozenset(t["intents"]), dict(t["aspects"])) for name, t in raw["topics"].items()
        }
        return cls(int(raw["max_length"]), dict(raw["aspects"]), topics, str(raw.get("own_topic", "")))

    def names_topic(self, normalized: str) -> bool:
        """Whether a message names a topic of its own ("几号截止"), so it is no follow-up however short."""
        return self._own_topic is not None and self._own_topic.search(normalized) is not None

    def resolve(self, normalized: str, previous: str | None, top: str, confidence: float) -> str | None:
        """Return the intent a follow-up means, or None when the message stands on its own."""
        topic = self._topic_of.get(previous or "")
        if topic is None or len(normalized) > self.max_length:
            return None
        # "还有每个月几号去确认": a marker, but a topic of its own named, and surely parsed so
        marked = _MARKER.search(normalized) is not None and not self.names_topic(normalized)
        stands_alone = top not in topic.intents and confidence >= 0.7 and not marked
        if stands_alone:
            return None
        for aspect, intent in topic.aspects.items():
            if self._aspects[aspect].search(normalized):
                return intent
        return None
