"""The tenant's knowledge base as the answering pipeline's search function."""

from __future__ import annotations

from collections.abc import Sequence

from ai.answering import Hit, Search
from kb import selectors as kb_selectors
from tenants.models import Tenant

LIMIT = 5


def kb_search(*, tenant: Tenant, limit: int = LIMIT) -> Search:
    def search(query: str) -> Sequence[Hit]:
        return kb_selectors.article_search(tenant=tenant, query=query, limit=limit)

    return search


def category_descriptions(*, tenant: Tenant) -> dict[str, str]:
    """Category slug -> "Title. Description": the zero-shot classifier's labels."""
    return {c.slug: f"{c.title}. {c.description}".strip() for c in kb_selectors.category_list(tenant=tenant)}
