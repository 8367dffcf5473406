"""Text classification: a trained model (frozen sentence embeddings + TF-IDF n-grams -> logistic regression) and
zero-shot matching against label descriptions for tenants that have no labelled examples yet.

Why the combination: the frozen MiniLM embedding carries paraphrase-level meaning, while character and word
n-grams carry the exact product words ("apple pay", "pin", "top-up") that short intent texts hinge on. One
linear model over both beats either alone on banking77, and trains in seconds on a CPU (bench/triage_banking77.py).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

OOS = "oos"
Embedder = Callable[[list[str]], "np.ndarray"]


def _default_embedder(texts: list[str]) -> np.ndarray:
    from django.conf import settings

    from ai.backends.embeddings import embed

    return embed(texts, name=settings.AI_CLASSIFIER_EMBEDDING_MODEL)


@dataclass
class Prediction:
    label: str
    confidence: float


@dataclass
class TextClassifier:
    """Fit with ``fit``; ``dumps``/``loads`` round-trip it for storage (the embedder is never pickled)."""

    features: str = "embedding+tfidf"  # or "embedding", "tfidf"
    c: float = 10.0
    embedding_weight: float = 2.0
    classes: list[str] = field(default_factory=list)
    _vectorizers: list[Any] = field(default_factory=list)
    _model: Any = None

    def _matrix(self, texts: Sequence[str], embedder: Embedder, *, fit: bool) -> Any:
        import numpy as np
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        blocks: list[Any] = []
        if "embedding" in self.features:
            blocks.append(sparse.csr_matrix(np.asarray(embedder(list(texts))) * self.embedding_weight))
        if "tfidf" in self.features:
            if fit:
                self._vectorizers = [
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
                    TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
                ]
                blocks.extend(v.fit_transform(texts) for v in self._vectorizers)
            else:
                blocks.extend(v.transform(texts) for v in self._vectorizers)
        return sparse.hstack(blocks).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[str], *, embedder: Embedder = _default_embedder) -> None:
        from sklearn.linear_model import LogisticRegression

        if len(set(labels)) < 2:
            raise ValueError("a classifier needs examples of at least two labels")
        matrix = self._matrix(texts, embedder, fit=True)
        self._model = LogisticRegression(C=self.c, max_iter=2000)
        self._model.fit(matrix, list(labels))
        self.classes = [str(c) for c in self._model.classes_]

    def predict_proba(self, texts: Sequence[str], *, embedder: Embedder = _default_embedder) -> np.ndarray:
        if self._model is None:
            raise ValueError("the classifier is not trained")
        return self._model.predict_proba(self._matrix(texts, embedder, fit=False))  # type: ignore[no-any-return]

    def predict(self, texts: Sequence[str], *, oos_threshold: float = 0.0,
                embedder: Embedder = _default_embedder) -> list[Prediction]:
        probabilities = self.predict_proba(texts, embedder=embedder)
        out = []
        for row in probabilities:
            best = int(row.argmax())
            label = self.classes[best] if row[best] >= oos_threshold else OOS
            out.append(Prediction(label, float(row[best])))
        return out

    def dumps(self) -> bytes:
        return sign(pickle.dumps({"features": self.features, "c": self.c, "embedding_weight": self.embedding_weight,
                                  "classes": self.classes, "vectorizers": self._vectorizers, "model": self._model}))

    @classmethod
    def loads(cls, data: bytes) -> TextClassifier:
        # Unpickling runs code, so only a blob this installation signed is unpickled: a row written into the
        # table some other way, or a file from elsewhere, is refused before pickle sees it.
        state = pickle.loads(verified(data))
        return cls(features=state["features"], c=state["c"], embedding_weight=state["embedding_weight"],
                   classes=state["classes"], _vectorizers=state["vectorizers"], _model=state["model"])


SIGNED = b"HDC1"  # a signed classifier: this prefix, the HMAC-SHA256 of the pickle, the pickle


class UnsignedModel(ValueError):
    """The stored classifier was not signed by this installation (or was altered since)."""


def _signing_key() -> bytes:
    from django.conf import settings

    return hashlib.sha256(b"helpdesk classifier signing\0" + settings.SECRET_KEY.encode()).digest()


def sign(payload: bytes) -> bytes:
    return SIGNED + hmac.new(_signing_key(), payload, hashlib.sha256).digest() + payload


def verified(data: bytes) -> bytes:
    """The pickle inside a signed blob; ``UnsignedModel`` unless the signature is this installation's."""
    if not data.startswith(SIGNED) or len(data) < len(SIGNED) + 32:
        raise UnsignedModel("the classifier is not signed by this installation")
    digest, payload = data[len(SIGNED):len(SIGNED) + 32], data[len(SIGNED) + 32:]
    if not hmac.compare_digest(digest, hmac.new(_signing_key(), payload, hashlib.sha256).digest()):
        raise UnsignedModel("the classifier's signature does not match: it was altered or signed elsewhere")
    return payload


@functools.lru_cache(maxsize=256)
def _label_vectors(embedder: Embedder, label_texts: tuple[str, ...]) -> np.ndarray:
    """A tenant's category labels change rarely; embedding them on every message was most of a triage's time."""
    import numpy as np

    vectors = np.asarray(embedder(list(label_texts)))
    vectors.flags.writeable = False  # shared by every later call
    return vectors


def zero_shot(texts: Sequence[str], descriptions: dict[str, str], *,
              embedder: Embedder = _default_embedder) -> list[Prediction]:
    """Nearest label by cosine similarity of the text to "name: description" (no labelled data needed)."""
    import numpy as np

    if not descriptions or not texts:
        return [Prediction(OOS, 0.0) for _ in texts]
    labels = list(descriptions)
    label_vectors = _label_vectors(embedder, tuple(f"{name}: {descriptions[name]}" for name in labels))
    text_vectors = np.asarray(embedder(list(texts)))
    similarity = text_vectors @ label_vectors.T
    return [Prediction(labels[int(row.argmax())], float(row.max())) for row in similarity]
