"""Retrieval quality on a labelled question set (kb/demo/eval.csv): recall@1, recall@5 and MRR per search mode.

An answer counts as found when any of its acceptable articles (``a|b``) is among the first k hits; MRR uses the
rank of the first acceptable article within the first 10. Out-of-scope rows have no article and are skipped.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ai.backends import embeddings
from kb.indexing import current_model
from kb.search import MODES, search
from tenants.models import Tenant

DEMO_EVAL = Path(__file__).resolve().parent / "demo" / "eval.csv"
DEPTH = 10


@dataclass(frozen=True)
class Question:
    text: str
    articles: frozenset[str]  # "<category-slug>/<article-slug>"
    kind: str


@dataclass(frozen=True)
class ModeScore:
    mode: str
    questions: int
    recall_at_1: float
    recall_at_5: float
    mrr: float


def load_questions(path: Path = DEMO_EVAL) -> list[Question]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Question(text=row["question"], articles=frozenset(a for a in row["article"].split("|") if a),
                     kind=row["kind"])
            for row in csv.DictReader(handle)
        ]


def evaluate(*, tenant: Tenant, questions: list[Question], modes: tuple[str, ...] = MODES) -> list[ModeScore]:
    answerable = [q for q in questions if q.articles]
    model = current_model()
    vectors = embeddings.embed([q.text for q in answerable], name=model, role="query")
    scores = []
    for mode in modes:
        found_1 = found_5 = 0
        reciprocal = 0.0
        for question, vector in zip(answerable, vectors, strict=True):
            hits = search(tenant=tenant, query=question.text, limit=DEPTH, mode=mode, model=model,
                          query_vector=[float(x) for x in vector])
            paths = [f"{h.category_slug}/{h.article_slug}" for h in hits]
            rank = next((i for i, p in enumerate(paths, start=1) if p in question.articles), None)
            if rank is not None:
                found_1 += rank == 1
                found_5 += rank <= 5
                reciprocal += 1 / rank
        n = max(1, len(answerable))
        scores.append(ModeScore(mode=mode, questions=len(answerable), recall_at_1=found_1 / n,
                                recall_at_5=found_5 / n, mrr=reciprocal / n))
    return scores


def format_scores(scores: list[ModeScore]) -> str:
    lines = [f"{'mode':<8} {'questions':>9} {'recall@1':>9} {'recall@5':>9} {'MRR':>7}"]
    lines += [f"{s.mode:<8} {s.questions:>9} {s.recall_at_1:>9.3f} {s.recall_at_5:>9.3f} {s.mrr:>7.3f}"
              for s in scores]
    return "\n".join(lines)
