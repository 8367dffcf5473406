"""The data migrations' tenant loop: each tenant's rows are visible, and only while it is that tenant's turn."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from kb.models import Category
from tenants.migration_tools import each_tenant
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_each_tenant_sets_row_level_security_to_it_and_clears_it_after(acme, globex) -> None:
    CategoryFactory(tenant=acme, slug="cards")
    CategoryFactory(tenant=globex, slug="billing")
    seen = {}
    for tenant_id in each_tenant(apps, SimpleNamespace(connection=connection)):
        seen[tenant_id] = list(Category.objects.values_list("slug", flat=True))  # no tenant filter: RLS alone
    assert seen == {acme.id: ["cards"], globex.id: ["billing"]}
    assert not Category.objects.exists()  # the setting is cleared afterwards
