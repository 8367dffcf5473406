"""Answering one customer message: retrieve -> decide -> generate -> guard. No database writes here.

The caller passes the tenant's knowledge-base search as a function, so this module stays free of other apps and is
tested on the real models with any search. Services turn the ``Outcome`` into a bot reply or a hand-off and a trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils.translation import gettext, gettext_lazy

from ai import conversation, decision, guard, pii, policy
from ai.backends import language, sentiment
from ai.backends.generation import Generated, GenerationError, GenerationRequest, Passage, Turn, extractive, generate

PASSAGES = 5  # passages the reader reads (one per article, best first)
SUGGESTIONS = 3  # articles offered when the bot is not sure enough to answer

# Worded in the tenant's language: the summary is stored on the conversation for its agents to read.
REASON_TEXT = {
    "asked_for_human": gettext_lazy("the customer asked for a person"),
    "human_only_category": gettext_lazy("the topic is reserved for agents"),
    "negative_sentiment": gettext_lazy("the customer seems upset"),
    "low_confidence": gettext_lazy("the knowledge base has no confident answer"),
    "urgent": gettext_lazy("a safety, health, legal or fraud matter needs a person"),
    "not_in_passages": gettext_lazy("the articles found do not answer the question"),
    "no_results": gettext_lazy("the knowledge base returned nothing"),
    "unsupported": gettext_lazy("the generated answer was not supported by the sources"),
    "repeated": gettext_lazy("the only answer found was already rejected by the customer"),
    "backend_error": gettext_lazy("the answer backend failed"),
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
    # Answer when the estimated chance of a right reply reaches this; None: the calibration's threshold.
    confidence_floor: float | None = None
    offer_articles: bool = True  # below the floor, offer the top articles rather than hand off at once
    calibration: decision.Calibration = decision.DEFAULT
    negative_threshold: float = sentiment.NEGATIVE_THRESHOLD
    handoff_on_negative: bool = True
    human_only_categories: Sequence[str] = ()
    backend: str = "extractive"
    model: str = ""
    endpoint_url: str = ""
    api_key: str = ""
    endpoint_public_only: bool = False  # a tenant's own endpoint: refused unless it resolves to public addresses
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
    confidence: float = 0.0  # estimated chance that the reply is right (ai.decision)
    evidence: dict[str, float] = field(default_factory=dict)
    # The reader's reply and its articles whatever was decided: what an agent sees as a suggestion, and what a
    # calibration is fitted on.
    draft: str = ""
    draft_citations: list[dict[str, Any]] = field(default_factory=list)


def _similarity(hit: Hit) -> float:
    """Cosine similarity of the hit's chunk; a full-text-only hit has none."""
    return float(hit.vector_similarity or 0.0)


def _retrieval_evidence(query: str, hits: Sequence[Hit]) -> dict[str, float]:
    """Does the first article stand out from the others? Gaps within this query's own hits (chunk and title
    similarity) and whether the meaning and the word lists agree on it: relative, so they carry across models and
    knowledge bases."""
    from ai.backends.embeddings import embed_cached as embed

    if not hits:
        return {}
    vectors = embed([query], role="query")
    titles = embed([h.article_title for h in hits], role="passage") @ vectors[0]
    chunks = [_similarity(h) for h in hits]
    ranks = [float(h.fts_rank or 0.0) for h in hits]
    others = range(1, len(hits))
    return {
        "retrieval_margin": _retrieval_margin(hits),
        "title_gap": round(float(titles[0]) - max((float(titles[i]) for i in others), default=0.0), 4),
        "vector_gap": round(chunks[0] - max((chunks[i] for i in others), default=0.0), 4),
        "vector_first": 1.0 if chunks[0] >= max(chunks) else 0.0,
        "words_first": 1.0 if ranks[0] > 0 and ranks[0] >= max(ranks) else 0.0,
    }


def _retrieval_margin(hits: Sequence[Hit]) -> float:
    """How far the first article led the second in rank fusion, as a share of the first's score (scale-free)."""
    if not hits:
        return 0.0
    if len(hits) == 1:
        return 1.0
    first, second = float(hits[0].score), float(hits[1].score)
    return round((first - second) / first, 4) if first > 0 else 0.0


def _hit_row(hit: Hit) -> dict[str, Any]:
    return {"article_id": hit.article_id, "title": hit.article_title, "url": hit.url,
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
    lines = [gettext("Customer: %(text)s") % {"text": outcome.input_text}]
    if earlier:
        lines.append(gettext("Earlier: %(lines)s") % {"lines": " / ".join(pii.redact(t).text for t in earlier)})
    lines.append(gettext("Handed over because %(reason)s.") % {
        "reason": REASON_TEXT.get(outcome.reason, outcome.reason)})
    lines.append(gettext("Language %(language)s, sentiment %(sentiment)s.") % {
        "language": outcome.language or gettext("unknown"), "sentiment": f"{outcome.sentiment:+.2f}"})
    if outcome.sources:
        tried = ", ".join(f"{s['title']} ({s['similarity']:.2f})" for s in outcome.sources[:3])
        lines.append(gettext("Articles tried: %(articles)s.") % {"articles": tried})
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
    top = hits[0] if hits else None
    outcome = Outcome(action="handoff", reason="", query=query, input_text=redacted.text,
                      hits=[_hit_row(h) for h in hits], language=lang.code, sentiment=mood.score,
                      category=category or (top.category_slug if top else ""), sources=_sources(hits),
                      redacted=redacted.kinds, backend=options.backend)
    rejected = conversation.rejected_answers(clean_history, redacted.text)
    passages = [Passage(title=h.article_title, text=h.text, url=h.url, heading=h.heading, score=_similarity(h))
                for h in hits[:PASSAGES]]
    request = GenerationRequest(question=redacted.text, passages=passages, history=clean_history, rejected=rejected,
                                context_query=query if query != redacted.text else "")
    # The extractive reader always reads: its evidence drives the decision whichever backend writes the reply.
    read = extractive.answer(request) if passages else None
    if read is not None and read.text:
        by_title = {src["title"]: src for src in _sources(hits)}
        outcome.draft = read.text
        outcome.draft_citations = [by_title[passages[i].title] for i in read.cited if passages[i].title in by_title]
        outcome.evidence = {**read.evidence, **_retrieval_evidence(query, hits)}
        outcome.confidence = round(decision.probability(outcome.evidence, options.calibration), 4)
    calibration = options.calibration
    decided = policy.decide(
        text=redacted.text, sentiment_score=mood.score, negative_threshold=options.negative_threshold,
        confidence=outcome.confidence if read is not None and read.text else None,
        answer_at=options.confidence_floor if options.confidence_floor is not None else calibration.answer_at,
        suggest_at=calibration.suggest_at if options.offer_articles else float("inf"), category=outcome.category,
        human_only_categories=options.human_only_categories, handoff_on_negative=options.handoff_on_negative,
    )
    outcome.reason = decided.reason
    if decided.action == "answer" and read is not None:
        _reply(outcome, read, request, options, rejected)
    elif decided.action == "suggest":
        outcome.action = "suggest"
        outcome.citations = outcome.sources[:SUGGESTIONS]
    if outcome.action == "handoff":
        outcome.summary = handoff_summary(outcome, clean_history)
    outcome.latency_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _reply(outcome: Outcome, read: Generated, request: GenerationRequest, options: Options,
           rejected: Sequence[str]) -> None:
    """The reply from the configured backend: the reader's own, or a generative model's over the same passages,
    checked by the guard."""
    from ai.backends.embeddings import embed_cached as embed
    from ai.backends.embeddings import same_meaning

    generated = read
    if options.backend != "extractive":
        try:
            generated = generate(request, backend=options.backend, model=options.model,
                                 base_url=options.endpoint_url, api_key=options.api_key, timeout=options.timeout,
                                 public_only=options.endpoint_public_only)
        except GenerationError:
            outcome.reason = "backend_error"
            return
    outcome.model = generated.model
    outcome.generation_score = generated.score
    if not generated.text or generated.text in rejected:
        outcome.reason = "repeated" if rejected else "not_in_passages"
        return
    cited = [request.passages[i] for i in generated.cited]
    checked = guard.check(generated.text, [f"{p.title}. {p.heading}. {p.text}" for p in cited],
                          embedder=None if generated.backend == "extractive" else embed,
                          semantic_support=same_meaning())
    if not checked.supported:
        outcome.reason = "unsupported"
        outcome.text = generated.text  # kept for the trace only
        return
    outcome.action = "answer"
    outcome.text = generated.text
    by_title = {s["title"]: s for s in outcome.sources}
    outcome.citations = [by_title[p.title] for p in cited if p.title in by_title]
