"""The tenant's knowledge base as the answering pipeline's search function."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ai.answering import Hit, Search
from ai.backends import embeddings
from ai.backends.language import detect
from helpdesk.i18n import supported
from kb import selectors as kb_selectors
from tenants.models import Tenant

LIMIT = 5
WHOLE_ARTICLES = 3  # the first hits are read whole: the answer is often in another section than the best match


def kb_search(*, tenant: Tenant, limit: int = LIMIT, language: str | None = None) -> Search:
    """``language``: the customer's; by default the language the query is written in. Of an article's
    translations, the one in that language is read (kb.selectors.article_search)."""

    def search(query: str) -> Sequence[Hit]:
        wanted = language or supported(detect(query).code)
        hits = kb_selectors.article_search(tenant=tenant, query=query, limit=limit, language=wanted)
        whole = kb_selectors.article_passages(tenant=tenant, article_ids=[h.article_id for h in hits[:WHOLE_ARTICLES]])
        for passage in whole.values():
            # The reader's units were embedded at indexing: without them, a worker's first question about an
            # article would embed every sentence of it (seconds on a CPU).
            if passage.unit_vectors is not None:
                embeddings.cache_store(passage.unit_texts, passage.unit_vectors, role="passage")
        return [replace(h, text=whole[h.article_id].text if h.article_id in whole else h.text)
                if i < WHOLE_ARTICLES else h for i, h in enumerate(hits)]

    return search


def category_descriptions(*, tenant: Tenant) -> dict[str, str]:
    """Category slug -> "Title. Description": the zero-shot classifier's labels."""
    return {c.slug: f"{c.title}. {c.description}".strip() for c in kb_selectors.category_list(tenant=tenant)}
