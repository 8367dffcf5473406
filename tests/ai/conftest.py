"""Fixtures of the ai tests: a tenant knowledge base imported from the demo folders and indexed for real."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kb import importing
from tenants.models import Tenant
from tenants.rls import tenant_context

DEMO = Path(__file__).resolve().parents[2] / "kb" / "demo" / "articles"


def import_demo(tenant: Tenant, *folders: str, floor: float | None = None, offer_articles: bool = True) -> None:
    """Some categories of the demo knowledge base, published and indexed with the real default model.

    ``floor``: the tenant's confidence floor, for tests of the chat and e-mail flows that need the bot to answer
    whatever the calibrated threshold (ai.decision.DEFAULT) is; bench/answer_quality.py measures that.
    ``offer_articles=False``: below the floor the bot hands off at once instead of offering articles."""
    from ai.services.settings import settings_update

    files = [f for f in importing.folder_files(DEMO) if f[0].parts[0] in folders]
    with tenant_context(tenant.id):
        report = importing.import_files(tenant=tenant, author=None, files=files, publish=True, index="sync")
        if floor is not None:
            settings_update(tenant=tenant, actor=None, confidence_floor=floor)
        if not offer_articles:
            settings_update(tenant=tenant, actor=None, offer_articles=False)
    assert not report.errors, report.errors


@pytest.fixture
def demo_kb() -> Callable[..., None]:
    return import_demo


