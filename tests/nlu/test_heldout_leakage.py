"""A held-out figure counts only messages the model never saw: no held-out message may be a training example."""

from pathlib import Path

import pytest

from nlu.leakage import TrainingIndex, heldout_messages, overlaps
from nlu.normalize import opencc_traditional_table
from nlu.training_data import load_training_data

HELDOUT = Path(__file__).parent / "heldout"


@pytest.fixture(scope="module")
def training_index() -> TrainingIndex:
    texts = [text for text, _ in load_training_data().examples]
    return TrainingIndex(texts, opencc_traditional_table())


@pytest.mark.parametrize("path", sorted(HELDOUT.glob("test*.jsonl")), ids=lambda p: p.name)
def test_no_heldout_message_is_in_the_training_data(training_index, path):
    found = overlaps(training_index, heldout_messages(path))
    assert found == [], "\n".join(f"{o.heldout!r} ~ {o.training!r} ({o.similarity:.2f})" for o in found)


def test_exact_and_near_duplicates_are_found():
    index = TrainingIndex(["资格确认在哪里办理", "電腦上怎麼學習", "费用"], opencc_traditional_table())
    assert index.match("资格确认在哪里办理？").similarity == 1.0  # punctuation
    assert index.match("电脑上怎么学习").similarity == 1.0  # traditional characters
    near = index.match("资格确认在哪里办理呀")  # 7 of 8 trigrams shared: Jaccard 0.875
    assert near is not None and near.training == "资格确认在哪里办理"
    assert index.match("资格确认要带什么") is None
    assert index.match("费用多少") is None  # a short message shares too little with "费用"
