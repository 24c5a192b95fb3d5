from collections import Counter

import pytest

from nlu.features import Featurizer
from nlu.indexed import IndexedFeatures
from nlu.interpreter import LocalInterpreter


@pytest.fixture(scope="module")
def pipeline(interpreter: LocalInterpreter) -> tuple[dict[str, int], dict[str, str]]:
    return interpreter._model.vocabulary, interpreter.pinyin


def spelled(vocabulary: dict[str, int], pinyin: dict[str, str], text: str) -> list[tuple[int | None, int]]:
    """What the classifier counted before: every feature spelled out, then looked up."""
    return list(Counter(map(vocabulary.get, Featurizer(pinyin)(text))).items())


def test_counts_every_training_question_as_its_spelled_features(
    interpreter: LocalInterpreter, pipeline: tuple[dict[str, int], dict[str, str]]
) -> None:
    vocabulary, pinyin = pipeline
    count = IndexedFeatures(vocabulary, pinyin)
    texts = [interpreter.normalizer(text) for text, _ in interpreter.examples]
    assert len(texts) > 1000
    for text in texts:
        assert list(count(text).items()) == spelled(vocabulary, pinyin, text), text


@pytest.mark.parametrize(
    "text",
    ["", " ", "费", "资格 确任 哪里", "aa aa", "好好好学习", "#id# 绑定", "ok 👍 费用", "资格确任资格确任"],
)
def test_counts_edge_cases_in_the_same_order(
    pipeline: tuple[dict[str, int], dict[str, str]], text: str
) -> None:
    vocabulary, pinyin = pipeline
    count = IndexedFeatures(vocabulary, pinyin)
    assert list(count(text).items()) == spelled(vocabulary, pinyin, text)
    assert list(count(text).items()) == spelled(vocabulary, pinyin, text)  # remembered the same


def test_pairs_past_the_memo_limit_are_still_counted(
    pipeline: tuple[dict[str, int], dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import nlu.indexed

    monkeypatch.setattr(nlu.indexed, "PAIR_MEMO_LIMIT", 2)
    vocabulary, pinyin = pipeline
    count = IndexedFeatures(vocabulary, pinyin)
    for text in ("资格确认", "资格确任在哪里", "么子时候截止"):
        assert list(count(text).items()) == spelled(vocabulary, pinyin, text)
