"""Fixtures of the ai tests: a tenant knowledge base imported from the demo folders and indexed for real."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kb import importing
from tenants.models import Tenant
from tenants.rls import tenant_context

DEMO = Path(__file__).resolve().parents[2] / "kb" / "demo" / "articles"


def import_demo(tenant: Tenant, *folders: str) -> None:
    """Some categories of the demo knowledge base, published and indexed with the real MiniLM model."""
    files = [f for f in importing.folder_files(DEMO) if f[0].parts[0] in folders]
    with tenant_context(tenant.id):
        report = importing.import_files(tenant=tenant, author=None, files=files, publish=True, index="sync")
    assert not report.errors, report.errors


@pytest.fixture
def demo_kb() -> Callable[..., None]:
    return import_demo


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Playwright's sync API runs an event loop in the test's thread while the ORM calls stay synchronous: lift
    Django's async-safety check around browser tests only (as tests/browser does)."""
    browser = item.get_closest_marker("browser") is not None
    if browser:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if browser:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
