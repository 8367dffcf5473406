"""Whose language where.

- Agents and admins: the language in their profile (``User.language``), else the one their browser asks for
  (Accept-Language, or the switcher's cookie).
- A tenant's customers (help center, chat page and widget, portal): one of the tenant's languages, the one they
  chose with the switcher (cookie) or, failing that, the tenant's default. Never a language the tenant does not
  publish: its articles and bot would not match the pages around them.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from tenants.models import Tenant

CUSTOMER_PREFIXES = ("/h/", "/c/")
CATALOGUE_PATH = "/jsi18n/"


def zone_or_utc(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def supported(code: str | None) -> str | None:
    """``code`` as one of settings.LANGUAGES ("zh-Hans" and "zh-hans" alike), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def customer_language(request: HttpRequest, tenant: Tenant) -> str:
    chosen = supported(request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    offered = [supported(code) for code in tenant.languages]
    return chosen if chosen in offered and chosen else (offered[0] or settings.LANGUAGE_CODE)


def request_language(request: HttpRequest) -> str:
    if request.path_info == CATALOGUE_PATH:
        # A page loads the catalogue of the language it was rendered in (a customer page's may not be the browser's).
        asked = supported(request.GET.get("lang"))
        if asked:
            return asked
    tenant: Tenant | None = getattr(request, "tenant", None)
    if tenant is not None and request.path_info.startswith(CUSTOMER_PREFIXES):
        return customer_language(request, tenant)
    user = getattr(request, "user", None)
    own = supported(getattr(user, "language", "")) if user is not None and user.is_authenticated else None
    return own or translation.get_language_from_request(request)


class LanguageMiddleware:
    """After TenantMiddleware (it needs request.tenant). Replaces Django's LocaleMiddleware, whose only rule is the
    browser's. Also shows times in the tenant's time zone (``Tenant.timezone``), on its agents' and customers' pages
    alike, so "09:00" means the same on both sides of a conversation."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        tenant: Tenant | None = getattr(request, "tenant", None)
        if tenant is not None:
            timezone.activate(zone_or_utc(tenant.timezone))
        else:
            timezone.deactivate()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response
