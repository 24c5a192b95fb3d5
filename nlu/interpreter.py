"""Parse a message into Rasa's result shape with an ordered pipeline of small components."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from nlu.actions import ACTION_INTENTS, ACTION_THRESHOLD, NEGATED_ACTION, command, is_question
from nlu.entities import (
    DateEntityExtractor,
    Entity,
    LookupEntityExtractor,
    NameExtractor,
    RegexEntityExtractor,
)
from nlu.indexed import IndexedFeatures
from nlu.model import TrainedPipeline, load_or_train
from nlu.normalize import Normalizer
from nlu.training_data import TrainingData, load_training_data

FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"  # trained like any intent, reported as nlu_fallback
RANKING_LENGTH = 10
# Intents answered from the ledger (binding, a trainee's own status, opting out), not from the notice.
PERSONAL_INTENTS = frozenset(
    {
        "bind",
        "unbind",
        "my_hours",
        "my_qualified",
        "my_progress",
        "my_todo",
        "my_registration",
        "my_payment",
        "my_confirmation",
        "unsubscribe",
        "subscribe",
    }
)

ParseResult = dict[str, Any]
_DIGIT = re.compile(r"\d")
# Parses kept for texts seen again (the same few questions come from many people). A parse depends on the
# text alone — the model is fixed for the interpreter's life (retraining makes a new one) — so a kept one
# is exactly what parsing again would give. Texts naming personal data are never kept.
PARSE_CACHE_SIZE = 512
PARSE_CACHE_TEXT = 64  # characters: longer texts (pastes) rarely come twice
PERSONAL_ENTITIES = frozenset({"id_number", "phone", "name"})


class Interpreter(Protocol):
    """Turn text into ``{text, intent{name, confidence}, entities, intent_ranking}``."""

    def parse(self, text: str) -> ParseResult: ...


class LocalInterpreter:
    """The in-process engine: normalizer, entity extractors, linear classifier, fallback threshold."""

    def __init__(self, pipeline: TrainedPipeline, data: TrainingData, threshold: float = 0.3) -> None:
        self.threshold = threshold
        self._normalize = pipeline.normalizer()
        self._features = IndexedFeatures(pipeline.model.vocabulary, pipeline.pinyin)
        self._model = pipeline.model
        self._names_reported = [_public(intent) for intent in pipeline.model.intents]
        self._regex = RegexEntityExtractor()
        self._posts = LookupEntityExtractor("post", data.lookups.get("post", []))
        self._dates = DateEntityExtractor()
        self._names = NameExtractor()
        self.examples = data.examples  # the training questions, and the readings the model was built with
        self.pinyin = pipeline.pinyin
        self._kept: OrderedDict[str, ParseResult] = OrderedDict()  # least recently used first
        self._kept_lock = threading.Lock()  # the service parses on several threads

    @classmethod
    def from_files(
        cls,
        *nlu_files: Path | str,
        cache_dir: Path | None = None,
        threshold: float = 0.3,
        on_training: Callable[[int], None] | None = None,
    ) -> LocalInterpreter:
        """Load training data (default: the packaged files) and its cached model, training on first use."""
        data = load_training_data(*nlu_files)
        return cls(load_or_train(data, cache_dir, on_training=on_training), data, threshold)

    @property
    def normalizer(self) -> Normalizer:
        """The normaliser the classifier was trained with (the second stage reads text the same way)."""
        return self._normalize

    def _entities(self, basic: str) -> list[Entity]:
        """Extract entities; offsets refer to the width-folded, simplified text."""
        numbered = _DIGIT.search(basic) is not None  # ID numbers, phones and dates are written with digits
        found = self._regex.extract(basic) if numbered else []
        found += self._posts.extract(basic)
        if numbered:
            found += self._dates.extract(basic)
            found += self._names.extract(basic, found)
        return sorted(found, key=lambda e: e["start"])

    def parse(self, text: str) -> ParseResult:
        """The parse of ``text``: kept from an earlier message with the same text, or worked out now.

        Each call gets its own copy, so a caller that changes it changes nothing else.
        """
        with self._kept_lock:
            kept = self._kept.get(text)
            if kept is not None:
                self._kept.move_to_end(text)
        if kept is None:
            kept = self._parse(text)
            if len(text) <= PARSE_CACHE_TEXT and not any(
                e["entity"] in PERSONAL_ENTITIES for e in kept["entities"]
            ):
                with self._kept_lock:
                    self._kept[text] = kept
                    while len(self._kept) > PARSE_CACHE_SIZE:
                        self._kept.popitem(last=False)
        return _copied(kept)

    def _parse(self, text: str) -> ParseResult:
        basic = self._normalize.basic(text)
        entities = self._entities(basic)
        exact = _command(text, basic, entities)
        if exact is not None:
            certain = {"name": exact, "confidence": 1.0}
            return {"text": text, "intent": certain, "entities": entities, "intent_ranking": [certain]}
        probs = self._model.probabilities_of(self._features(self._normalize.canonical(basic)))
        order = probs.argsort()[: -RANKING_LENGTH - 1 : -1].tolist()  # the most probable first
        values = probs.tolist()  # Python floats, once (indexing an array makes a numpy scalar each time)
        names = self._names_reported
        ranking: list[dict[str, Any]] = [{"name": names[i], "confidence": values[i]} for i in order]
        top = ranking[0]
        confidence = values[order[0]]
        if top["name"] == FALLBACK or confidence < self._threshold_for(top["name"], text):
            fallback = {"name": FALLBACK, "confidence": max(self.threshold, confidence)}
            ranking = [fallback] + [r for r in ranking if r["name"] != FALLBACK]
            top = fallback
        return {"text": text, "intent": top, "entities": entities, "intent_ranking": ranking}

    def _threshold_for(self, intent: str, text: str) -> float:
        """The confidence ``intent`` needs: higher for intents that change something, never when negated."""
        if intent in ACTION_INTENTS:
            return 1.01 if NEGATED_ACTION.search(text) else max(self.threshold, ACTION_THRESHOLD)
        return self.threshold


def _copied(parse: ParseResult) -> ParseResult:
    """A copy of a parse that shares nothing changeable with it (its values are str, int and float)."""
    return {
        "text": parse["text"],
        "intent": parse["intent"].copy(),
        "entities": list(map(dict.copy, parse["entities"])),
        "intent_ranking": list(map(dict.copy, parse["intent_ranking"])),
    }


def _public(intent: str) -> str:
    return FALLBACK if intent == OUT_OF_SCOPE else intent


_COMMAND_NOISE = re.compile(r"[\s\W_]+")


def _command(text: str, basic: str, entities: list[Entity]) -> str | None:
    """A command matched on the whole message: exact words, a short order to unsubscribe, an ID with a name."""
    exact = command(text)  # case-sensitive ("T"); then folded, when folding changed anything (退訂)
    if exact is None and basic != text:
        exact = command(basic)
    if exact is not None:
        return exact
    bare = _COMMAND_NOISE.sub("", basic)
    if len(bare) <= 10 and "退订" in bare and not NEGATED_ACTION.search(bare) and not is_question(bare):
        return "unsubscribe"  # "退订吧", "TD退订", "退订谢谢"
    if any(e["entity"] == "id_number" for e in entities):
        # An ID number with at most a name and the word 绑定 around it is a binding request.
        rest = bare
        for e in entities:
            rest = rest.replace(str(e["value"]).lower(), "")
        rest = re.sub(r"绑定|帮定|邦定|身份证号码|身份证号|身份证|姓名|名字|我叫|我是", "", rest)
        if len(rest) <= 1:
            return "bind"
    return None
