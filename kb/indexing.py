"""Chunk, embed and swap in the search chunks of one article.

The slow part (embedding) runs outside any lock; the swap then deletes the article's chunks of that model and
inserts the new ones in one short transaction, so a concurrent search (a single SQL statement, hence a single
snapshot) sees either the complete old set or the complete new one. A run whose revision is no longer the
latest when it reaches the swap does nothing: the run enqueued by the newer save will index that one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.db.models import Value
from django.db.models.expressions import CombinedExpression

from ai.backends import embeddings
from ai.backends.text import units
from helpdesk.segmentation import index_text
from kb.chunking import ChunkDraft, chunk_article
from kb.models import Article, ArticleRevision, ArticleStatus, Chunk
from tenants.models import Tenant

if TYPE_CHECKING:
    import numpy as np

FTS_CONFIG = "english"
EMBED_BATCH = 64
REINDEX_BATCH = 50  # articles per shared embedding run

Embedder = Callable[[list[str]], "np.ndarray"]


def current_model() -> str:
    return embeddings.model_id()


def _embedder(model: str) -> Embedder:
    # Through the process's cache: re-indexing an edited article embeds only its changed chunks and sentences, and
    # the answering path then finds this article's sentences already there.
    return lambda texts: embeddings.embed_cached(texts, name=model, role="passage", batch_size=EMBED_BATCH)


def search_vector_expression(*, heading: str, text: str) -> CombinedExpression:
    """The full-text vector of a chunk: heading weighted A, text B, Chinese segmented (helpdesk.segmentation).

    PostgreSQL cannot segment Chinese itself, so the vector is built from the segmented strings, not the columns.
    """
    return SearchVector(Value(index_text(heading)), weight="A", config=FTS_CONFIG) + SearchVector(
        Value(index_text(text)), weight="B", config=FTS_CONFIG
    )


def chunks_remove(*, tenant: Tenant, article_id: int, model: str | None = None) -> int:
    chunks = Chunk.objects.for_tenant(tenant).filter(article_id=article_id)
    if model is not None:
        chunks = chunks.filter(embedding_model=model)
    deleted, _ = chunks.delete()
    return deleted


def unit_texts(draft: ChunkDraft) -> list[str]:
    """The reader's quotable units of a chunk, embedded at indexing so that answering does not have to."""
    return list(dict.fromkeys(unit.text for unit in units(draft.text)))


@transaction.atomic
def chunks_swap(
    *, tenant: Tenant, article_id: int, revision_id: int, model: str, drafts: Sequence[ChunkDraft],
    vectors: np.ndarray, units: Sequence[tuple[list[str], np.ndarray]] | None = None,
) -> int:
    """Replace the article's chunks of ``model`` with the given ones, atomically. Returns how many were stored.

    ``units``: per draft, its ``unit_texts`` and their embeddings (none: the reader embeds them when asked)."""
    # The row lock orders concurrent swaps of one article, and makes the staleness check hold until commit.
    article = Article.objects.for_tenant(tenant).select_for_update().filter(id=article_id).first()
    if article is None or article.status != ArticleStatus.PUBLISHED:
        return 0
    latest = ArticleRevision.objects.for_tenant(tenant).filter(article_id=article_id).order_by("-number").first()
    if latest is None or latest.id != revision_id:
        return 0
    Chunk.objects.for_tenant(tenant).filter(article_id=article_id, embedding_model=model).delete()
    Chunk.objects.bulk_create([
        Chunk(tenant=tenant, article_id=article_id, revision_id=revision_id, ordinal=draft.ordinal,
              heading=draft.heading, text=draft.text, embedding=vector, embedding_model=model,
              search_vector=search_vector_expression(heading=draft.heading, text=draft.text),
              unit_texts=units[n][0] if units is not None else [],
              unit_vectors=units[n][1].astype("float32").tobytes() if units is not None else b"")
        for n, (draft, vector) in enumerate(zip(drafts, vectors, strict=True))
    ])
    return len(drafts)


def article_index(
    *, tenant: Tenant, article_id: int, model: str | None = None, embedder: Embedder | None = None
) -> int:
    """Index the latest revision of a published article with ``model`` (default: the configured one)."""
    return articles_index(tenant=tenant, article_ids=[article_id], model=model, embedder=embedder)


def articles_index(
    *, tenant: Tenant, article_ids: Sequence[int], model: str | None = None, embedder: Embedder | None = None,
    only_stale: bool = False,
) -> int:
    """Index several articles, embedding all their chunks in shared batches (the model is the slow part).

    Each article is still swapped in its own transaction. Articles that are not published lose their chunks.
    ``only_stale`` skips articles whose chunks of this model already come from their latest revision.
    Returns the number of chunks stored.
    """
    model = model or current_model()
    articles = Article.objects.for_tenant(tenant).filter(id__in=article_ids)
    work: list[tuple[int, int, list[ChunkDraft]]] = []
    for article in articles:
        if article.status != ArticleStatus.PUBLISHED:
            chunks_remove(tenant=tenant, article_id=article.id)
            continue
        revision = ArticleRevision.objects.for_tenant(tenant).filter(article=article).order_by("-number").first()
        if revision is None:
            continue
        if only_stale and Chunk.objects.for_tenant(tenant).filter(
            article=article, embedding_model=model, revision=revision
        ).exists():
            continue
        work.append((article.id, revision.id, chunk_article(title=revision.title, body=revision.body)))
    drafts_all = [draft for _, _, drafts in work for draft in drafts]
    units_all = [unit_texts(draft) for draft in drafts_all]
    # One embedding run for the chunks and the reader's units: the model is the slow part, batches share it.
    texts = [draft.embedding_input() for draft in drafts_all] + [text for texts in units_all for text in texts]
    vectors = (embedder or _embedder(model))(texts) if texts else None
    if vectors is None:
        return 0
    # The unit vectors follow the chunk vectors, draft after draft.
    units: list[tuple[list[str], np.ndarray]] = []
    start = len(drafts_all)
    for texts_of_draft in units_all:
        units.append((texts_of_draft, vectors[start:start + len(texts_of_draft)]))
        start += len(texts_of_draft)
    stored, offset = 0, 0
    for article_id, revision_id, drafts in work:
        end = offset + len(drafts)
        stored += chunks_swap(tenant=tenant, article_id=article_id, revision_id=revision_id, model=model,
                              drafts=drafts, vectors=vectors[offset:end], units=units[offset:end])
        offset = end
    return stored


def tenant_prune_models(*, tenant: Tenant, keep: str) -> int:
    """After switching ``AI_EMBEDDING_MODEL``: drop the chunks of every other model."""
    deleted, _ = Chunk.objects.for_tenant(tenant).exclude(embedding_model=keep).delete()
    return deleted
