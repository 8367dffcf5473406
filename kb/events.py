"""Domain events of the knowledge base, sent after the transaction commits.

Both carry the kwargs ``tenant_id: int`` and ``article_id: int``.
"""

from __future__ import annotations

from django.dispatch import Signal

article_published = Signal()  # kwargs: tenant_id, article_id
article_unpublished = Signal()  # kwargs: tenant_id, article_id
