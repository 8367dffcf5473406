"""Answering one customer message: retrieve -> decide -> generate -> guard. No database writes here.

The caller passes the tenant's knowledge-base search as a function, so this module stays free of other apps and is
tested on the real models with any search. Services turn the ``Outcome`` into a bot reply or a hand-off and a trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ai import conversation, guard, pii, policy
from ai.backends import language, sentiment
from ai.backends.generation import GenerationError, GenerationRequest, Passage, Turn, generate

PASSAGES = 3
TITLE_WEIGHT = 0.5

REASON_TEXT = {
    "asked_for_human": "the customer asked for a person",
    "human_only_category": "the topic is reserved for agents",
    "negative_sentiment": "the customer seems upset",
    "low_confidence": "the knowledge base has no confident answer",
    "ambiguous": "several articles fit the question about equally well",
    "no_results": "the knowledge base returned nothing",
    "unsupported": "the generated answer was not supported by the sources",
    "repeated": "the only answer found was already rejected by the customer",
    "backend_error": "the answer backend failed",
}


class Hit(Protocol):
    """What ``kb.selectors.article_search`` returns (``SearchHit``), as far as answering needs it (read-only)."""

    @property
    def article_id(self) -> int: ...

    @property
    def article_title(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def chunk_id(self) -> int: ...

    @property
    def heading(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def category_slug(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def vector_similarity(self) -> float | None: ...

    @property
    def fts_rank(self) -> float | None: ...


Search = Callable[[str], Sequence[Hit]]


@dataclass(frozen=True)
class Options:
    confidence_floor: float = 0.62
    negative_threshold: float = sentiment.NEGATIVE_THRESHOLD
    handoff_on_negative: bool = True
    human_only_categories: Sequence[str] = ()
    backend: str = "extractive"
    model: str = ""
    endpoint_url: str = ""
    api_key: str = ""
    timeout: float = 30.0


@dataclass
class Outcome:
    action: policy.Action
    reason: str
    text: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)
    query: str = ""
    input_text: str = ""
    hits: list[dict[str, Any]] = field(default_factory=list)
    language: str = ""
    sentiment: float = 0.0
    category: str = ""
    backend: str = ""
    model: str = ""
    latency_ms: int = 0
    redacted: list[str] = field(default_factory=list)
    generation_score: float = 0.0


def _similarity(hit: Hit) -> float:
    """Cosine similarity of the hit's chunk; a full-text-only hit has none, which counts as no confidence."""
    return float(hit.vector_similarity or 0.0)


def _confidences(query: str, hits: Sequence[Hit]) -> list[float]:
    """How sure we are that each hit's article answers the query: the mean of the chunk's cosine similarity and the
    cosine similarity of the query to the article's title.

    Help-center titles are usually the question the article answers, so a question close to both the passage and
    the title is far more often answered by that article than one close to a passage alone; on the demo evaluation
    set this halves the wrong answers at the same answered rate (bench/autoreply_demo.py).
    """
    if not hits:
        return []
    from ai.backends.embeddings import embed_cached as embed

    vectors = embed([query, *(h.article_title for h in hits)])
    titles = vectors[1:] @ vectors[0]
    return [round((1 - TITLE_WEIGHT) * _similarity(h) + TITLE_WEIGHT * float(t), 4)
            for h, t in zip(hits, titles, strict=True)]


def _hit_row(hit: Hit, confidence: float) -> dict[str, Any]:
    return {"confidence": confidence, "article_id": hit.article_id, "title": hit.article_title, "url": hit.url,
            "chunk_id": hit.chunk_id,
            "heading": hit.heading, "score": round(float(hit.score), 4),
            "similarity": round(_similarity(hit), 4), "fts_rank": round(float(hit.fts_rank or 0.0), 4),
            "category": hit.category_slug}


def _sources(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for hit in hits:
        if hit.article_id not in seen:
            seen[hit.article_id] = {"article_id": hit.article_id, "title": hit.article_title, "url": hit.url,
                                    "similarity": round(_similarity(hit), 3)}
    return list(seen.values())[:5]


def handoff_summary(outcome: Outcome, history: Sequence[Turn]) -> str:
    earlier = [t.text for t in history if t.role == "customer"][-2:]
    lines = [f"Customer: {outcome.input_text}"]
    if earlier:
        lines.append("Earlier: " + " / ".join(pii.redact(t).text for t in earlier))
    lines.append(f"Handed over because {REASON_TEXT.get(outcome.reason, outcome.reason)}.")
    lines.append(f"Language {outcome.language or 'unknown'}, sentiment {outcome.sentiment:+.2f}.")
    if outcome.sources:
        tried = ", ".join(f"{s['title']} ({s['similarity']:.2f})" for s in outcome.sources[:3])
        lines.append(f"Articles tried: {tried}.")
    return "\n".join(lines)


def answer(*, text: str, history: Sequence[Turn], search: Search, options: Options,
           category: str = "") -> Outcome:
    started = time.monotonic()
    redacted = pii.redact(text)
    clean_history = [Turn(t.role, pii.redact(t.text).text) for t in history]
    lang = language.detect(redacted.text)
    mood = sentiment.analyse(redacted.text, language=lang.code)
    query = conversation.retrieval_query(redacted.text, clean_history)
    hits = list(search(query)) if not policy.wants_human(redacted.text) else []
    confidence = _confidences(query, hits)
    # Best-first by confidence: the generator's "first passage" and the cited article are the most likely answer.
    order = sorted(range(len(hits)), key=lambda i: confidence[i], reverse=True)
    hits = [hits[i] for i in order]
    confidence = [confidence[i] for i in order]
    top = hits[0] if hits else None
    outcome = Outcome(action="handoff", reason="", query=query, input_text=redacted.text,
                      hits=[_hit_row(h, c) for h, c in zip(hits, confidence, strict=True)], language=lang.code,
                      sentiment=mood.score,
                      category=category or (top.category_slug if top else ""), sources=_sources(hits),
                      redacted=redacted.kinds, backend=options.backend)
    decision = policy.decide(
        text=redacted.text, top_similarity=confidence[0] if confidence else None,
        runner_up=confidence[1] if len(confidence) > 1 else None, confidence_floor=options.confidence_floor,
        sentiment_score=mood.score, negative_threshold=options.negative_threshold, category=outcome.category,
        human_only_categories=options.human_only_categories, handoff_on_negative=options.handoff_on_negative,
    )
    outcome.reason = decision.reason
    if decision.action == "answer":
        _generate(outcome, hits, clean_history, redacted.text, options)
    if outcome.action == "handoff":
        outcome.summary = handoff_summary(outcome, clean_history)
    outcome.latency_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _generate(outcome: Outcome, hits: Sequence[Hit], history: Sequence[Turn], question: str,
              options: Options) -> None:
    from ai.backends.embeddings import embed_cached as embed

    ranked = list(hits[:PASSAGES])  # already best-first by confidence
    passages = [Passage(title=h.article_title, text=h.text, url=h.url, heading=h.heading,
                        score=_similarity(h)) for h in ranked]
    rejected = conversation.rejected_answers(history, question)
    request = GenerationRequest(question=question, passages=passages, history=history, rejected=rejected,
                                context_query=outcome.query if outcome.query != question else "")
    try:
        generated = generate(request, backend=options.backend, model=options.model, base_url=options.endpoint_url,
                             api_key=options.api_key, timeout=options.timeout)
    except GenerationError:
        outcome.reason = "backend_error"
        return
    outcome.model = generated.model
    outcome.generation_score = generated.score
    if not generated.text or generated.text in rejected:
        outcome.reason = "repeated" if rejected else "low_confidence"
        return
    cited = [ranked[i] for i in generated.cited]
    checked = guard.check(generated.text, [f"{h.article_title}. {h.heading}. {h.text}" for h in cited],
                          embedder=None if generated.backend == "extractive" else embed)
    if not checked.supported:
        outcome.reason = "unsupported"
        outcome.text = generated.text  # kept for the trace only
        return
    outcome.action = "answer"
    outcome.text = generated.text
    outcome.citations = _sources(cited)
