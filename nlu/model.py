"""The intent classifier: trained with scikit-learn (``nlu.train``), served with numpy alone, cached between runs.

scikit-learn takes over a second to import, so it is used only when the training data or the feature code
changed; the learned weights are kept in the data dir as ``.npz`` (arrays plus JSON tables, never a pickle)
keyed by a hash of the data and of the normaliser's and featuriser's code, and every later start loads them
in milliseconds.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlu import features as features_module
from nlu import normalize as normalize_module
from nlu.features import Featurizer
from nlu.normalize import Normalizer
from nlu.training_data import TrainingData

log = logging.getLogger(__name__)

ENGINE_VERSION = "2"


@dataclass
class LinearModel:
    """Weights of a multinomial logistic regression over TF-IDF features."""

    intents: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_features,)
    weights: np.ndarray  # (n_features, n_intents)
    bias: np.ndarray  # (n_intents,)

    def probabilities(self, features: list[str]) -> np.ndarray:
        """Return the probability of every intent for one message's features."""
        # Counted in C, in the order the features first occur (the same sums, bit for bit, as a loop).
        return self.probabilities_of(Counter(map(self.vocabulary.get, features)))

    def probabilities_of(self, counts: Counter[int | None]) -> np.ndarray:
        """Return the probability of every intent for one message's features counted by vocabulary index
        (``nlu.indexed``); ``counts`` is used up."""
        counts.pop(None, None)  # features the model never saw
        n = len(counts)
        if not n:
            return np.full(len(self.intents), 1.0 / len(self.intents))
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=n)
        # take() and in-place arithmetic: the same values as indexing and new arrays, with fewer copies
        values = self.idf.take(idx)
        if sum(counts.values()) != n:  # some feature occurs twice (1 + log 1 is exactly 1: no product needed)
            values *= 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=n))
        values /= math.sqrt(values @ values)
        logits: np.ndarray = values @ self.weights.take(idx, axis=0)
        logits += self.bias
        # the ufuncs' own reductions: what .max() and .sum() call, without their Python wrappers
        logits -= np.maximum.reduce(logits)
        np.exp(logits, out=logits)
        logits /= np.add.reduce(logits)
        return logits


@dataclass
class TrainedPipeline:
    """What a training run produces: the tables the normalizer and featurizer need, and the model."""

    traditional: dict[int, str]
    pinyin: dict[str, str]
    synonyms: dict[str, str]
    model: LinearModel

    def normalizer(self) -> Normalizer:
        return Normalizer(self.traditional, self.synonyms)

    def featurizer(self) -> Featurizer:
        return Featurizer(self.pinyin)


def code_version() -> str:
    """A hash of the code that shapes the features: a change to the normaliser or featuriser retrains."""
    digest = hashlib.sha256(ENGINE_VERSION.encode())
    for module in (normalize_module, features_module):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(data: TrainingData) -> str:
    """Hash the training data and the code version: the cache key of a trained model."""
    digest = hashlib.sha256(code_version().encode())
    digest.update(repr((data.examples, sorted(data.synonyms.items()))).encode())
    return digest.hexdigest()[:16]


def cache_path(cache_dir: Path, data: TrainingData) -> Path:
    """Where the model trained on ``data`` by this code is cached."""
    return cache_dir / f"nlu-{fingerprint(data)}.npz"


def load_or_train(
    data: TrainingData, cache_dir: Path | None, *, on_training: Callable[[int], None] | None = None
) -> TrainedPipeline:
    """Return the cached pipeline for this data, training and caching it when there is none.

    ``on_training`` hears the number of examples just before a (slow) training run starts.
    """
    path = cache_path(cache_dir, data) if cache_dir else None
    if path is not None and path.exists():
        try:
            return load_pipeline(path)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable NLU cache %s: %s", path, exc)
    from nlu.train import train

    log.info("training the NLU model (%d examples)", len(data.examples))
    if on_training is not None:
        on_training(len(data.examples))
    pipeline = train(data)
    if path is not None:
        save_pipeline(pipeline, path)
    return pipeline


def save_pipeline(pipeline: TrainedPipeline, path: Path) -> None:
    """Write the pipeline as numpy arrays and JSON tables in one ``.npz`` (no pickle), atomically."""
    model = pipeline.model
    tables = {
        "intents": model.intents,
        "vocabulary": model.vocabulary,
        "traditional": {str(k): v for k, v in pipeline.traditional.items()},
        "pinyin": pipeline.pinyin,
        "synonyms": pipeline.synonyms,
    }
    buffer = io.BytesIO()
    np.savez(
        buffer,
        idf=model.idf,
        weights=model.weights,
        bias=model.bias,
        tables=np.frombuffer(json.dumps(tables, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
    )
    _write_atomically(path, buffer.getvalue())


def load_pipeline(path: Path) -> TrainedPipeline:
    """Read a pipeline written by ``save_pipeline``; never unpickles anything."""
    with np.load(path, allow_pickle=False) as arrays:
        tables = json.loads(arrays["tables"].tobytes().decode("utf-8"))
        model = LinearModel(
            intents=list(tables["intents"]),
            vocabulary=dict(tables["vocabulary"]),
            idf=arrays["idf"],
            weights=arrays["weights"],
            bias=arrays["bias"],
        )
    traditional = {int(k): v for k, v in tables["traditional"].items()}
    return TrainedPipeline(traditional, dict(tables["pinyin"]), dict(tables["synonyms"]), model)


def _write_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".nlu-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
