from __future__ import annotations

import pytest

from kb import indexing, services
from kb.models import Article
from tenants.models import Tenant
from tenants.rls import tenant_context


def publish_indexed(tenant: Tenant, *, title: str, body: str, slug: str = "", category=None) -> Article:
    """An article written, published and indexed with the real packaged model, as the worker would."""
    with tenant_context(tenant.id):
        article = services.article_save(tenant=tenant, author=None, title=title, body=body, slug=slug,
                                        category=category, enqueue_index=False)
        article = services.article_publish(tenant=tenant, article=article, enqueue_index=False)
        indexing.article_index(tenant=tenant, article_id=article.id)
    return article


@pytest.fixture
def publish():
    return publish_indexed




@pytest.fixture
def import_worker(monkeypatch) -> list[int]:
    """Import jobs run when their enqueue fires (on commit), as a worker would run them; returns the job ids."""
    from kb import tasks

    ran: list[int] = []

    def delay(tenant_id: int, job_id: int) -> None:
        ran.append(job_id)
        tasks.import_job_run_task(tenant_id, job_id)

    monkeypatch.setattr(tasks.import_job_run_task, "delay", delay)
    return ran
