"""Small helpers shared by views of every app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from helpdesk.text import without_nul

if TYPE_CHECKING:
    from tenants.models import Membership, Tenant, User


class TenantRequest(HttpRequest):
    """The type of ``request`` in tenant-prefixed views: the middleware has resolved both."""

    tenant: Tenant
    membership: Membership
    user: User  # type: ignore[assignment]


def query_int(value: object, *, maximum: int = 2**63 - 1) -> int | None:
    """A positive id or number from a query string, or None. ``str.isdigit`` is not enough: it accepts "²",
    which ``int`` refuses, and a twenty-digit id overflows even a bigint column."""
    text = str(value or "")
    if not (text.isascii() and text.isdecimal()):
        return None
    number = int(text)
    return number if 0 < number <= maximum else None


def query_text(value: object, *, max_length: int) -> str:
    """Free text from a query string, cut to length and without NUL, which PostgreSQL text cannot hold."""
    return without_nul(str(value or "")[:max_length]).strip()


def apply_validation_error(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form's fields (or at the top when it names none)."""
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.message_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def safe_next(request: HttpRequest, value: str, fallback: str) -> str:
    """``value`` when it is a path on this site, else ``fallback``: "//evil.example" and "/\\evil.example" are
    other sites to a browser, so a "next" field is never trusted by its first character."""
    from django.utils.http import url_has_allowed_host_and_scheme

    if value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return value
    return fallback
