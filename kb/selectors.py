"""Reads of the knowledge base. ``article_search`` is the one search entry point (help center, agents, AI)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from kb.models import Article, ArticleFeedback, ArticleRevision, ArticleStatus, Category, ImportJob
from kb.search import MODES, SearchHit, search
from tenants.models import Tenant

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MODES", "SearchHit", "article_search"]
T = TypeVar("T")


def article_search(*, tenant: Tenant, query: str, limit: int = 10, mode: str = "hybrid",
                   language: str | None = None) -> list[SearchHit]:
    """Published articles of ``tenant`` that answer ``query``: one hit per article, at its best chunk.

    ``language`` (a customer's): one hit per group of translations, the one in that language where search found it,
    at the rank of the group's best hit."""
    if language is None:
        return search(tenant=tenant, query=query, limit=limit, mode=mode)
    hits = search(tenant=tenant, query=query, limit=min(50, 2 * limit), mode=mode)
    return in_language(hits, language, group=lambda h: h.group_id, locale=lambda h: h.locale)[:limit]


def in_language(items: list[T], language: str, *, group: Callable[[T], int], locale: Callable[[T], str]) -> list[T]:
    """One item per group of translations, in the order of each group's first item: the group's item in
    ``language`` if the list has one, else its first."""
    chosen: dict[int, T] = {}
    for item in items:
        key = group(item)
        if key not in chosen or (locale(item) == language and locale(chosen[key]) != language):
            chosen[key] = item
    return list(chosen.values())


# Agent side: every article, drafts included.

@dataclass(frozen=True)
class ArticlePassage:
    """An article's indexed text, with the reader's units of it already embedded (``Chunk.unit_texts``)."""

    text: str
    unit_texts: list[str] = field(default_factory=list)
    unit_vectors: np.ndarray | None = None  # float32, one row per unit text


def article_passages(*, tenant: Tenant, article_ids: list[int], model: str | None = None) -> dict[int, ArticlePassage]:
    """The indexed text of whole articles (their published chunks in order), for a reader that should see every
    section of the articles search found, not just the best-matching one."""
    import numpy as np

    from kb.indexing import current_model
    from kb.models import Chunk

    parts: dict[int, list[tuple[str, list[str], bytes]]] = {}
    chunks = (Chunk.objects.for_tenant(tenant)
              .filter(article_id__in=article_ids, embedding_model=model or current_model(),
                      article__status=ArticleStatus.PUBLISHED)
              .order_by("article_id", "ordinal").values_list("article_id", "text", "unit_texts", "unit_vectors"))
    for article_id, text, texts, vectors in chunks:
        parts.setdefault(article_id, []).append((text, texts, bytes(vectors)))
    passages = {}
    for article_id, rows in parts.items():
        texts = [t for _, unit_texts, vectors in rows if vectors for t in unit_texts]
        blobs = [np.frombuffer(vectors, dtype=np.float32) for _, _, vectors in rows if vectors]
        matrix = np.concatenate(blobs).reshape(len(texts), -1) if blobs else None
        passages[article_id] = ArticlePassage(text="\n\n".join(text for text, _, _ in rows), unit_texts=texts,
                                              unit_vectors=matrix)
    return passages


def category_list(*, tenant: Tenant) -> QuerySet[Category]:
    return Category.objects.for_tenant(tenant).annotate(article_count=Count("articles")).order_by("position", "title")


def category_get(*, tenant: Tenant, category_id: int) -> Category:
    return get_object_or_404(Category.objects.for_tenant(tenant), id=category_id)


def article_list(*, tenant: Tenant, status: str = "", category_id: int | None = None, q: str = "") -> QuerySet[Article]:
    articles = Article.objects.for_tenant(tenant).select_related("category", "author")
    if status in ArticleStatus.values:
        articles = articles.filter(status=status)
    if category_id is not None:
        articles = articles.filter(category_id=category_id)
    if q:
        articles = articles.filter(Q(title__icontains=q) | Q(slug__icontains=q))
    return articles.order_by("-updated_at", "id")


def article_get(*, tenant: Tenant, article_id: int) -> Article:
    return get_object_or_404(Article.objects.for_tenant(tenant).select_related("category"), id=article_id)


def article_group(*, tenant: Tenant, article: Article) -> list[Article]:
    """``article``'s versions in other languages, drafts included (the original first)."""
    return list(Article.objects.for_tenant(tenant).filter(article.group_filter).exclude(id=article.id)
                .order_by("translation_of_id", "locale"))


def revision_list(*, tenant: Tenant, article: Article) -> QuerySet[ArticleRevision]:
    return ArticleRevision.objects.for_tenant(tenant).filter(article=article).select_related("author").order_by(
        "-number"
    )


def revision_get(*, tenant: Tenant, article: Article, number: int) -> ArticleRevision:
    return get_object_or_404(ArticleRevision.objects.for_tenant(tenant), article=article, number=number)


@dataclass(frozen=True)
class FeedbackSummary:
    helpful: int
    not_helpful: int


def feedback_summary(*, tenant: Tenant, article: Article) -> FeedbackSummary:
    counts = ArticleFeedback.objects.for_tenant(tenant).filter(article=article).aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
    )
    return FeedbackSummary(helpful=counts["yes"], not_helpful=counts["no"])


def feedback_recent(*, tenant: Tenant, article: Article, limit: int = 20) -> QuerySet[ArticleFeedback]:
    return ArticleFeedback.objects.for_tenant(tenant).filter(article=article).exclude(comment="").order_by(
        "-created_at"
    )[:limit]


# Import jobs, without their archives (up to 50 MB each until the job finishes).

def import_job_list(*, tenant: Tenant, limit: int = 10) -> QuerySet[ImportJob]:
    return ImportJob.objects.for_tenant(tenant).defer("archive").select_related("author").order_by(
        "-created_at", "-id"
    )[:limit]


def import_job_get(*, tenant: Tenant, job_id: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.for_tenant(tenant).defer("archive"), id=job_id)


# Public side: published articles only.

def _published(tenant: Tenant) -> QuerySet[Article]:
    return Article.objects.for_tenant(tenant).filter(status=ArticleStatus.PUBLISHED)


def public_categories(*, tenant: Tenant, language: str) -> list[Category]:
    """Categories with at least one published article, each with its published articles (one per group of
    translations, in ``language`` where there is one) in ``published_articles``."""
    published = _published(tenant).order_by("position", "title").only(
        "id", "title", "slug", "category_id", "locale", "translation_of_id")
    categories: list[Category] = list(
        Category.objects.for_tenant(tenant)
        .annotate(published_count=Count("articles", filter=Q(articles__status=ArticleStatus.PUBLISHED)))
        .filter(published_count__gt=0)
        .prefetch_related(Prefetch("articles", queryset=published, to_attr="published_articles"))
        .order_by("position", "title")
    )
    for category in categories:
        category.published_articles = _in_language(category.published_articles, language)  # type: ignore[attr-defined]
    return categories


def public_category_get(*, tenant: Tenant, slug: str) -> Category:
    return get_object_or_404(Category.objects.for_tenant(tenant), slug=slug)


def public_category_articles(*, tenant: Tenant, category: Category, language: str) -> list[Article]:
    return _in_language(list(_published(tenant).filter(category=category).order_by("position", "title")), language)


def public_article_get(*, tenant: Tenant, slug: str) -> Article:
    return get_object_or_404(_published(tenant).select_related("category"), slug=slug)


def public_translations(*, tenant: Tenant, article: Article) -> list[Article]:
    """The published versions of ``article`` in other languages (its original and the original's translations)."""
    return list(_published(tenant).filter(article.group_filter).exclude(id=article.id)
                .only("id", "title", "slug", "locale").order_by("locale"))


def public_related(*, tenant: Tenant, article: Article, limit: int = 5) -> list[Article]:
    if article.category_id is None:
        return []
    others = _published(tenant).filter(category_id=article.category_id).exclude(article.group_filter).order_by(
        "position", "title")
    return _in_language(list(others[:limit * 3]), article.locale)[:limit]


def _in_language(articles: list[Article], language: str) -> list[Article]:
    return in_language(articles, language, group=lambda a: a.group_id, locale=lambda a: a.locale)
