"""``{% turl "tickets:detail" ticket.id %}``: reverse a tenant-prefixed URL for the current tenant."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def turl(context: dict[str, Any], name: str, *args: Any, **kwargs: Any) -> str:
    tenant = context["request"].tenant
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs}) if not args else reverse(
        name, args=[tenant.slug, *args]
    )
