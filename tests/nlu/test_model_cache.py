from pathlib import Path

import numpy as np

from nlu.model import fingerprint, load_or_train, load_pipeline
from nlu.training_data import load_training_data


def test_second_load_uses_the_cache(nlu_cache, interpreter):
    data = load_training_data()
    cached = list(nlu_cache.glob(f"nlu-{fingerprint(data)}.npz"))
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


def test_a_change_to_the_feature_code_changes_the_key(monkeypatch, tmp_path):
    import nlu.model as model

    data = load_training_data()
    key = fingerprint(data)
    changed = tmp_path / "features.py"
    changed.write_text(Path(model.features_module.__file__).read_text() + "\n# changed\n")
    monkeypatch.setattr(model.features_module, "__file__", str(changed))
    assert fingerprint(data) != key


def test_the_cache_is_numpy_and_json_never_a_pickle(nlu_cache, interpreter):
    data = load_training_data()
    [path] = nlu_cache.glob(f"nlu-{fingerprint(data)}.npz")
    with np.load(path, allow_pickle=False) as arrays:
        assert set(arrays.files) == {"idf", "weights", "bias", "tables"}
        assert all(arrays[name].dtype != object for name in arrays.files)
    restored = load_pipeline(path)
    assert restored.model.intents == load_or_train(data, nlu_cache).model.intents
