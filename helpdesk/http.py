"""Small helpers shared by views of every app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest

if TYPE_CHECKING:
    from tenants.models import Membership, Tenant, User


class TenantRequest(HttpRequest):
    """The type of ``request`` in tenant-prefixed views: the middleware has resolved both."""

    tenant: Tenant
    membership: Membership
    user: User  # type: ignore[assignment]


def apply_validation_error(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form's fields (or at the top when it names none)."""
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.message_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
