"""Training: fit the intent classifier with scikit-learn (imported here, and only here)."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlu.features import Featurizer, pypinyin_table
from nlu.model import LinearModel, TrainedPipeline
from nlu.normalize import Normalizer, opencc_traditional_table
from nlu.training_data import TrainingData


def train(data: TrainingData, *, c: float = 50.0) -> TrainedPipeline:
    """Fit the classifier on the examples."""
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
