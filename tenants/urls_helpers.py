from __future__ import annotations

from typing import Any

from django.urls import reverse

from tenants.models import Tenant


def tenant_reverse(tenant: Tenant, name: str, *args: Any, **kwargs: Any) -> str:
    if args:
        return reverse(name, args=[tenant.slug, *args])
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs})
