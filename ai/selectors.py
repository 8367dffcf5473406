"""Reads of the ai app: the active classifier, traces, versions, metrics and knowledge gaps."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from ai.backends import embeddings
from ai.backends.classifier import TextClassifier
from ai.models import AISettings, Backend, ClassifierVersion, Suggestion, Trace
from ai.services.settings import answer_options
from kb.models import Chunk
from tenants.models import Tenant


@lru_cache(maxsize=64)
def _load(version_id: int, blob: bytes) -> TextClassifier:
    return TextClassifier.loads(blob)


def active_classifier(*, tenant: Tenant) -> tuple[ClassifierVersion, TextClassifier] | None:
    """The tenant's active model, deserialised once per worker process per version."""
    version = ClassifierVersion.objects.for_tenant(tenant).filter(is_active=True).first()
    if version is None:
        return None
    return version, _load(version.id, bytes(version.blob))


def classifier_versions(*, tenant: Tenant) -> QuerySet[ClassifierVersion]:
    return ClassifierVersion.objects.for_tenant(tenant).defer("blob").order_by("-version")


def trace_list(*, tenant: Tenant, kind: str = "") -> QuerySet[Trace]:
    traces = Trace.objects.for_tenant(tenant).order_by("-created_at", "-id")
    return traces.filter(kind=kind) if kind else traces


def suggestion_get(*, tenant: Tenant, suggestion_id: int) -> Suggestion:
    """The one accessor by id: another tenant's suggestion and a missing one are the same 404."""
    return get_object_or_404(Suggestion.objects.for_tenant(tenant), id=suggestion_id)


def suggestion_for_message(*, tenant: Tenant, source: str, message_id: int) -> Suggestion | None:
    return Suggestion.objects.for_tenant(tenant).filter(source=source, message_id=message_id).first()


def suggestion_latest(*, tenant: Tenant, ticket_id: int | None = None,
                      conversation_id: int | None = None) -> Suggestion | None:
    rows = Suggestion.objects.for_tenant(tenant)
    if ticket_id is not None:
        rows = rows.filter(ticket_id=ticket_id)
    elif conversation_id is not None:
        rows = rows.filter(conversation_id=conversation_id)
    else:
        return None
    return rows.order_by("-created_at", "-id").first()


def chat_suggestion_pending(*, tenant: Tenant, conversation_id: int) -> Suggestion | None:
    """The conversation's latest suggestion while no agent has acted on it: once the newest one was inserted or
    dismissed, an older pending one would answer an earlier question, so nothing is shown."""
    latest = suggestion_latest(tenant=tenant, conversation_id=conversation_id)
    return latest if latest is not None and latest.status == Suggestion.Status.PENDING else None


@dataclass(frozen=True)
class KnowledgeGap:
    question: str
    reason: str
    best_title: str
    best_similarity: float
    count: int


def knowledge_gaps(*, tenant: Tenant, limit: int = 20) -> list[KnowledgeGap]:
    """Recent customer questions the knowledge base could not answer (low confidence or no results)."""
    rows = (trace_list(tenant=tenant).filter(kind__in=[Trace.Kind.CHAT_ANSWER, Trace.Kind.TICKET_ANSWER],
                                             reason__in=["low_confidence", "no_results", "unsupported"])
            .only("input_text", "reason", "hits")[:500])
    grouped: dict[str, KnowledgeGap] = {}
    for row in rows:
        key = " ".join(row.input_text.lower().split())[:200]
        best: dict[str, Any] = max(row.hits, key=lambda h: h.get("similarity", 0.0), default={})
        if key in grouped:
            gap = grouped[key]
            grouped[key] = KnowledgeGap(gap.question, gap.reason, gap.best_title, gap.best_similarity, gap.count + 1)
        else:
            grouped[key] = KnowledgeGap(row.input_text[:300], row.reason, str(best.get("title", "")),
                                        float(best.get("similarity", 0.0)), 1)
    return sorted(grouped.values(), key=lambda g: -g.count)[:limit]


# What each packaged embedding model can read; a model reads queries well only in the languages it was trained on.
EMBEDDING_LANGUAGES = {
    "all-MiniLM-L6-v2": "English",
    "multilingual-e5-small": "Multilingual (Chinese, English and ~100 more)",
}
PACKAGED_GENERATION_MODEL = "the packaged SmolLM2-135M-Instruct"


def embedding_languages(model: str) -> str:
    """The languages an embedding model reads, by its id; a local path is known by its last component."""
    return EMBEDDING_LANGUAGES.get(model.rstrip("/").rsplit("/", 1)[-1], "custom model")


def reader_description(*, row: AISettings) -> str:
    """The generation backend in words, for admins: never the API key, and only the host of an endpoint (a URL may
    carry credentials or tokens in its user part or query string)."""
    options = answer_options(row)
    if row.backend == Backend.TRANSFORMERS:
        return f"Local model {options.model or PACKAGED_GENERATION_MODEL}"
    if row.backend == Backend.OPENAI:
        parts = urlsplit(options.endpoint_url)
        host = parts.hostname or "(no endpoint set)"
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"OpenAI-compatible server {host}" + (f" (model {options.model})" if options.model else "")
    return "Extractive reader (quotes whole sentences from your articles; runs on CPU)"


@dataclass(frozen=True)
class IndexedModel:
    model: str
    languages: str
    chunks: int
    articles: int
    configured: bool


@dataclass(frozen=True)
class EmbeddingStatus:
    configured: str
    configured_languages: str
    indexed: list[IndexedModel]

    @property
    def reindex_pending(self) -> bool:
        """Chunks of another model exist: search reads only the configured model's, so those articles are missing
        from answers until ``kb_reembed`` has embedded them again (or they are pruned)."""
        return any(not m.configured for m in self.indexed)


def embedding_status(*, tenant: Tenant) -> EmbeddingStatus:
    """Which embedding models indexed the tenant's knowledge base (chunks and articles per model) and which one
    search uses now."""
    configured = embeddings.model_id()
    rows = (Chunk.objects.for_tenant(tenant).values("embedding_model")
            .annotate(chunks=Count("id"), articles=Count("article_id", distinct=True)).order_by("embedding_model"))
    indexed = [IndexedModel(model=r["embedding_model"], languages=embedding_languages(r["embedding_model"]),
                            chunks=r["chunks"], articles=r["articles"], configured=r["embedding_model"] == configured)
               for r in rows]
    return EmbeddingStatus(configured=configured, configured_languages=embedding_languages(configured),
                           indexed=indexed)
