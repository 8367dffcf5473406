"""Celery adapters of the knowledge base (routed to the ``ai`` queue by settings)."""

from __future__ import annotations

from helpdesk.celery import TenantTask, app
from kb import indexing
from tenants.selectors import tenant_get


@app.task(base=TenantTask, name="kb.tasks.article_index", acks_late=True)
def article_index(tenant_id: int, article_id: int) -> int:
    """(Re)build the chunks of a published article, or drop them if it is no longer published. Safe to repeat."""
    return indexing.article_index(tenant=tenant_get(tenant_id=tenant_id), article_id=article_id)
