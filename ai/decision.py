"""How sure the bot is that its reply is right: a logistic model over evidence that means the same on any
knowledge base.

A single cosine floor does not carry from one knowledge base (or embedding model) to another: on a KB nobody tuned
on, right and wrong top hits and out-of-KB questions had nearly the same similarity. So every feature here is
relative or a share, never an absolute cosine:
- the reader's best unit against the other candidate units (z-score), and its margin over the rest;
- the share of the question's content words found in the cited articles and in the reply (a near-miss, "roaming in
  Morocco", finds the roaming article but not "Morocco");
- whether retrieval put the cited article first, and by how much the first article led the second (rank fusion
  scores, which do not depend on the embedding model's scale).

The weights and the two thresholds are learnt by ``fit`` on one labelled set and measured on others
(``bench/answer_quality.py --fit SET``); ``DEFAULT`` says which set it was learnt on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

FEATURES = ("reader_z", "reader_margin", "coverage", "unit_coverage", "cited_first", "retrieval_margin",
            "few_terms", "title_gap", "vector_gap", "vector_first", "words_first")


@dataclass(frozen=True)
class Calibration:
    weights: Mapping[str, float]
    bias: float
    answer_at: float  # answer when the estimated chance of a right reply is at least this
    suggest_at: float  # offer the top articles when it is at least this (and below answer_at)
    learnt_on: str = ""


def features(evidence: Mapping[str, float]) -> dict[str, float]:
    """The model's inputs from the reader's and retrieval's evidence (missing values count as no evidence)."""
    terms = evidence.get("question_terms", 0.0)
    return {
        "reader_z": evidence.get("reader_z", 0.0),
        "reader_margin": evidence.get("reader_margin", 0.0),
        "coverage": evidence.get("coverage", 0.0),
        "unit_coverage": evidence.get("unit_coverage", 0.0),
        "cited_first": 1.0 if evidence.get("cited_rank", 1.0) == 0.0 else 0.0,
        "retrieval_margin": evidence.get("retrieval_margin", 0.0),
        # With one or two content words, coverage says little ("refund?" covers itself in half the articles).
        "few_terms": 1.0 if terms <= 2 else 0.0,
        # Gaps in cosine are small numbers; scaled so that their weights read like the others'.
        "title_gap": 10 * evidence.get("title_gap", 0.0),
        "vector_gap": 10 * evidence.get("vector_gap", 0.0),
        "vector_first": evidence.get("vector_first", 0.0),
        "words_first": evidence.get("words_first", 0.0),
    }


def probability(evidence: Mapping[str, float], calibration: Calibration) -> float:
    values = features(evidence)
    logit = calibration.bias + sum(calibration.weights.get(name, 0.0) * values[name] for name in FEATURES)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))


def fit(rows: Sequence[tuple[Mapping[str, float], bool]], *, learnt_on: str, max_wrong: float = 0.04,
        suggest_precision: float = 0.8, suggested_right: Sequence[bool | None] | None = None) -> Calibration:
    """Weights by L2-regularised logistic regression on (evidence, reply was right) rows; ``answer_at`` is the
    lowest threshold whose answered rows are at most ``max_wrong`` wrong; ``suggest_at`` the lowest threshold
    below it at which the offered articles hold a right one for at least ``suggest_precision`` of the rows
    (``suggested_right``; defaults to the reply being right; None for a row that has no right article, such as an
    out-of-KB question: offering articles there is not an answer, and it is not measured)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([[features(e)[name] for name in FEATURES] for e, _ in rows])
    y = np.array([int(right) for _, right in rows])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    calibration = Calibration(weights=dict(zip(FEATURES, (round(float(w), 4) for w in model.coef_[0]), strict=True)),
                              bias=round(float(model.intercept_[0]), 4), answer_at=1.0, suggest_at=1.0,
                              learnt_on=learnt_on)
    scores = [probability(e, calibration) for e, _ in rows]
    answer_at = _lowest_threshold(scores, [r for _, r in rows], 1 - max_wrong)
    helpful = list(suggested_right) if suggested_right is not None else [r for _, r in rows]
    below = [(s, h) for s, h in zip(scores, helpful, strict=True) if s < answer_at and h is not None]
    suggest_at = _lowest_threshold([s for s, _ in below], [bool(h) for _, h in below], suggest_precision,
                                   ceiling=answer_at)
    return Calibration(weights=calibration.weights, bias=calibration.bias, answer_at=round(answer_at, 4),
                       suggest_at=round(suggest_at, 4), learnt_on=learnt_on)


def _lowest_threshold(scores: Sequence[float], right: Sequence[bool], precision: float, *,
                      ceiling: float = 1.0) -> float:
    """The lowest score t such that the rows scoring at least t are right at least ``precision`` of the time."""
    ranked = sorted(zip(scores, right, strict=True), key=lambda pair: pair[0], reverse=True)
    best, hits = ceiling, 0
    for count, (score, ok) in enumerate(ranked, start=1):
        hits += ok
        if hits / count >= precision:
            best = score
    return best


# Learnt on brightwave (English) by `bench/answer_quality.py --all` (the cross-set table prints the fit per set);
# measured on qinghe (Chinese) and kb/demo. Below answer_at, down to suggest_at, the bot offers the top articles
# ("These may help", with "Talk to a person" beside them): on brightwave a right article was among them for 80 % of
# the answerable messages there. A tenant's admin may lower the answer threshold (the AI settings' confidence floor).
DEFAULT = Calibration(
    weights={"reader_z": -0.1613, "reader_margin": 0.5468, "coverage": 1.4744, "unit_coverage": 0.1652,
             "cited_first": 0.2121, "retrieval_margin": 0.071, "few_terms": 0.4241, "title_gap": 0.2755,
             "vector_gap": 0.9973, "vector_first": 0.3369, "words_first": 0.0727},
    bias=-1.5607, answer_at=0.77, suggest_at=0.2099, learnt_on="brightwave",
)
