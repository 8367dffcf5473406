"""Fitting and evaluating text classifiers: shared by the management commands and the per-tenant training task."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ai.backends.classifier import OOS, TextClassifier

if TYPE_CHECKING:
    import numpy as np

PROGRESS_BATCH = 256


@dataclass
class Examples:
    texts: list[str]
    labels: list[str]


@dataclass
class Evaluation:
    accuracy: float
    macro_f1: float
    labels: list[str]
    per_class: list[dict[str, Any]]
    confusion: list[list[int]]
    size: int
    oos_recall: float | None = None
    in_scope_accuracy: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def read_csv(path: str | Path, *, text_column: str = "text", label_column: str = "") -> Examples:
    """A CSV with a header; the label column is ``label`` when present, else the first column that isn't text."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        if text_column not in columns:
            raise ValueError(f"{path}: no {text_column!r} column (columns: {', '.join(columns)})")
        label = label_column or ("label" if "label" in columns else next((c for c in columns if c != text_column), ""))
        if label not in columns:
            raise ValueError(f"{path}: no label column (columns: {', '.join(columns)})")
        rows = [(r[text_column].strip(), r[label].strip()) for r in reader if r[text_column] and r[label]]
    return Examples([r[0] for r in rows], [r[1] for r in rows])


class CachingEmbedder:
    """Embeds each distinct text once per process, with an optional progress callback (a tqdm bar)."""

    def __init__(self, progress: Callable[[int, int], None] | None = None) -> None:
        self._cache: dict[str, Any] = {}
        self.progress = progress

    def __call__(self, texts: list[str]) -> np.ndarray:
        import numpy as np
        from django.conf import settings

        from ai.backends.embeddings import embed

        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for start in range(0, len(missing), PROGRESS_BATCH):
            batch = missing[start:start + PROGRESS_BATCH]
            for text, vector in zip(batch, embed(batch, name=settings.AI_CLASSIFIER_EMBEDDING_MODEL), strict=True):
                self._cache[text] = vector
            if self.progress:
                self.progress(min(start + PROGRESS_BATCH, len(missing)), len(missing))
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)


def fit(train: Examples, *, embedder: Callable[[list[str]], np.ndarray], features: str = "embedding+tfidf",
        c: float = 10.0) -> TextClassifier:
    in_scope = [(t, lab) for t, lab in zip(train.texts, train.labels, strict=True) if lab != OOS]
    classifier = TextClassifier(features=features, c=c)
    classifier.fit([t for t, _ in in_scope], [lab for _, lab in in_scope], embedder=embedder)
    return classifier


def evaluate(classifier: TextClassifier, test: Examples, *, embedder: Callable[[list[str]], np.ndarray],
             oos_threshold: float = 0.0) -> Evaluation:
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    predicted = [p.label for p in classifier.predict(test.texts, oos_threshold=oos_threshold, embedder=embedder)]
    truth = test.labels
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels,
                                                                     zero_division=0)
    per_class = [
        {"label": label, "precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
         "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    ]
    result = Evaluation(
        accuracy=sum(a == b for a, b in zip(truth, predicted, strict=True)) / max(len(truth), 1),
        macro_f1=float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)),
        labels=labels, per_class=per_class,
        confusion=confusion_matrix(truth, predicted, labels=labels).tolist(), size=len(truth),
    )
    if OOS in truth:
        oos_rows = [p for t, p in zip(truth, predicted, strict=True) if t == OOS]
        scoped = [(t, p) for t, p in zip(truth, predicted, strict=True) if t != OOS]
        result.oos_recall = sum(p == OOS for p in oos_rows) / len(oos_rows)
        result.in_scope_accuracy = sum(t == p for t, p in scoped) / max(len(scoped), 1)
    return result


def split(examples: Examples, *, test_fraction: float = 0.2, seed: int = 0) -> tuple[Examples, Examples]:
    """Stratified where every label has at least two examples; a plain shuffle split otherwise."""
    from sklearn.model_selection import train_test_split

    counts: dict[str, int] = {}
    for label in examples.labels:
        counts[label] = counts.get(label, 0) + 1
    stratify: Sequence[str] | None = examples.labels if min(counts.values()) >= 2 else None
    train_t, test_t, train_l, test_l = train_test_split(examples.texts, examples.labels, test_size=test_fraction,
                                                        random_state=seed, stratify=stratify)
    return Examples(list(train_t), list(train_l)), Examples(list(test_t), list(test_l))
