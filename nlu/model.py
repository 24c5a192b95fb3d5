"""The intent classifier: trained with scikit-learn, served with numpy alone, cached between runs.

scikit-learn takes over a second to import, so it is used only when the training data changed; the learned
weights are kept in the data dir keyed by a hash of the data and of this engine's version, and every later
start loads them in milliseconds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlu.features import Featurizer, pypinyin_table
from nlu.normalize import Normalizer, opencc_traditional_table
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
        counts: dict[int, int] = {}
        vocab = self.vocabulary
        for f in features:
            j = vocab.get(f)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.full(len(self.intents), 1.0 / len(self.intents))
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        values = tf * self.idf[idx]
        values /= np.sqrt(values @ values)
        logits = values @ self.weights[idx] + self.bias
        logits -= logits.max()
        exp = np.exp(logits)
        result: np.ndarray = exp / exp.sum()
        return result


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


def fingerprint(data: TrainingData) -> str:
    """Hash the training data and the engine version: the cache key of a trained model."""
    digest = hashlib.sha256(ENGINE_VERSION.encode())
    digest.update(repr((data.examples, sorted(data.synonyms.items()))).encode())
    return digest.hexdigest()[:16]


def train(data: TrainingData, *, c: float = 50.0) -> TrainedPipeline:
    """Fit the classifier on the examples (imports scikit-learn)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    traditional = opencc_traditional_table()
    pinyin = pypinyin_table()
    normalizer = Normalizer(traditional, data.synonyms)
    featurizer = Featurizer(pinyin)
    texts = [normalizer(text) for text, _ in data.examples]
    labels = [intent for _, intent in data.examples]
    vectorizer = TfidfVectorizer(analyzer=featurizer, sublinear_tf=True, norm="l2")
    matrix = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(C=c, max_iter=2000)
    classifier.fit(matrix, labels)
    model = LinearModel(
        intents=[str(x) for x in classifier.classes_],
        vocabulary={str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_.astype(np.float64),
        weights=np.ascontiguousarray(classifier.coef_.T, dtype=np.float64),
        bias=classifier.intercept_.astype(np.float64),
    )
    return TrainedPipeline(traditional, pinyin, dict(data.synonyms), model)


def load_or_train(
    data: TrainingData, cache_dir: Path | None, on_training: Callable[[], None] | None = None
) -> TrainedPipeline:
    """Return the cached pipeline for this data, training and caching it when there is none.

    ``on_training`` is called just before a training starts, so a command can say why it pauses.
    """
    key = fingerprint(data)
    path = cache_dir / f"nlu-{key}.pickle" if cache_dir else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as fh:
                cached = pickle.load(fh)
            if isinstance(cached, TrainedPipeline):
                return cached
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
            log.warning("ignoring unreadable NLU cache %s: %s", path, exc)
    log.info("training the NLU model (%d examples)", len(data.examples))
    if on_training is not None:
        on_training()
    pipeline = train(data)
    if path is not None:
        _write_atomically(path, pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL))
    return pipeline


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
