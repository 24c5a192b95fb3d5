from nlu.model import fingerprint, load_or_train
from nlu.training_data import load_training_data


def test_second_load_uses_the_cache(nlu_cache, interpreter):
    data = load_training_data()
    cached = list(nlu_cache.glob(f"nlu-{fingerprint(data)}.pickle"))
    assert len(cached) == 1
    before = cached[0].stat().st_mtime_ns
    pipeline = load_or_train(data, nlu_cache)
    assert cached[0].stat().st_mtime_ns == before
    assert "ask_fee" in pipeline.model.intents


def test_changed_data_changes_the_key():
    data = load_training_data()
    key = fingerprint(data)
    data.examples.append(("新的例子", "ask_fee"))
    assert fingerprint(data) != key
