import pytest

from nlu.actions import GUARDED_ANSWERS
from nlu.training_data import TrainingDataError, load_training_data, parse_training_data


def test_packaged_data_covers_every_answer(campaign):
    data = load_training_data()
    static = set(campaign.answers) - {"nlu_fallback"} - GUARDED_ANSWERS
    assert static <= set(data.intents)
    assert all(sum(1 for _, i in data.examples if i == intent) >= 30 for intent in data.intents)
    assert "post" in data.lookups and "id_number" in data.regexes


def test_entity_markup_is_stripped():
    data = parse_training_data(
        'version: "3.1"\nnlu:\n- intent: bind\n  examples: |\n    - 绑定 [430621199208284985](id_number) [刘洋](name)\n'
    )
    assert data.examples == [("绑定 430621199208284985 刘洋", "bind")]


def test_bad_data_names_the_problem():
    with pytest.raises(TrainingDataError, match="top-level 'nlu:'"):
        parse_training_data("version: '3.1'\n", "x.yml")
    with pytest.raises(TrainingDataError, match="item 1 has none of"):
        parse_training_data("nlu:\n- foo: bar\n", "x.yml")
