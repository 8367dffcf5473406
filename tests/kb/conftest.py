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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """As in tests/browser: Playwright's sync API runs an event loop in the test's thread, so lift Django's
    async-safety check around the browser tests (only)."""
    import os

    browser = item.get_closest_marker("browser") is not None
    if browser:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if browser:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
