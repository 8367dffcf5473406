"""Tenant resolution at the HTTP and WebSocket edges.

HTTP: ``/t/<slug>/...`` is the agent app and API (works on localhost). Hosted pages live at ``/h/<slug>/`` (help
center, customer portal) and ``/c/<slug>/`` (chat); a tenant's custom domain or ``<slug>.<HOSTED_BASE_DOMAIN>``
serves those same paths for that tenant only. The resolved
tenant is passed on explicitly (``request.tenant``, ``scope["tenant"]``) and the unit of work runs in
``tenant_context`` so row-level security sees the same tenant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.shortcuts import redirect

from helpdesk.sockets import origin_allowed
from tenants import selectors
from tenants.models import Membership, Tenant
from tenants.rls import tenant_context

AGENT_PREFIX = re.compile(r"^/t/(?P<slug>[a-z0-9-]+)(?P<rest>/.*)?$")
# Tenant pages reachable before one is a member (accepting an invitation).
OPEN_PATHS = ("/join/",)
PUBLIC_PREFIX = re.compile(r"^/(?:h|c)/(?P<slug>[a-z0-9-]+)(?:/.*)?$")


def tenant_for_host(host: str) -> Tenant | None:
    host = host.split(":")[0].lower()
    base = settings.HOSTED_BASE_DOMAIN.lower()
    if host.endswith("." + base):
        return selectors.tenant_by_slug(host[: -len(base) - 1])
    if host in {"localhost", "127.0.0.1", base} or not host:
        return None
    return selectors.tenant_by_domain(host)


class HostMiddleware:
    """Host header validation, first in MIDDLEWARE. Django's ALLOWED_HOSTS is a fixed list, but tenants add
    custom domains at run time, so Django's check is left open ("*", as its documentation advises for dynamic
    hosts) and this one allows the operator's SERVED_HOSTS plus the custom domains of active tenants. Links in
    e-mails come from SITE_URL whatever the Host, so a forged Host cannot poison them either way.

    The tenant the host names (a subdomain or custom domain, else None) is looked up once, here, and handed to
    TenantMiddleware as ``request.hosted_tenant``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request._get_raw_host()  # type: ignore[attr-defined]  # Django's read of Host, before validation
        domain, _ = split_domain_port(raw)
        hosted = tenant_for_host(domain) if domain else None
        if not domain or not (hosted is not None or validate_host(domain, settings.SERVED_HOSTS)):
            # Django answers a SuspiciousOperation with 400 and logs it under django.security.DisallowedHost.
            raise DisallowedHost(f"Invalid HTTP_HOST header: {raw!r}.")
        request.hosted_tenant = hosted  # type: ignore[attr-defined]
        return self.get_response(request)


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        path = request.path_info
        hosted: Tenant | None = request.hosted_tenant  # type: ignore[attr-defined]  # set by HostMiddleware
        public = PUBLIC_PREFIX.match(path)
        # A custom domain or subdomain serves only its own tenant's hosted pages.
        own_page = public is not None and hosted is not None and public.group("slug") == hosted.slug
        if hosted is not None and not path.startswith(settings.STATIC_URL) and not own_page:
            return redirect(f"/h/{hosted.slug}/")
        agent = AGENT_PREFIX.match(path)
        if agent:
            return self._agent_request(request, agent.group("slug"), agent.group("rest") or "/")
        if public:
            tenant = selectors.tenant_by_slug(public.group("slug"))
            if tenant is None:
                raise Http404("No such help desk.")
            request.tenant = tenant  # type: ignore[attr-defined]
            with tenant_context(tenant.id):
                return self.get_response(request)
        return self.get_response(request)

    def _agent_request(self, request: HttpRequest, slug: str, rest: str) -> HttpResponse:
        tenant = selectors.tenant_by_slug(slug)
        if tenant is None:
            raise Http404("No such help desk.")
        request.tenant = tenant  # type: ignore[attr-defined]
        user = request.user
        is_api = rest.startswith("/api/")
        with tenant_context(tenant.id, user_id=user.pk if user.is_authenticated else None):
            if user.is_authenticated:
                request.membership = selectors.membership_for(tenant=tenant, user=user)  # type: ignore[attr-defined]
            # The API authenticates by key too, so DRF decides there; the browser app needs a member.
            if not is_api and not rest.startswith(OPEN_PATHS):
                if not user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                if request.membership is None:  # type: ignore[attr-defined]
                    raise Http404("No such help desk.")
            return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: dict[str, Any]) -> None:
        # The slug in the URL has served its purpose: views get request.tenant instead.
        kwargs.pop("tenant_slug", None)


class TenantWebsocketMiddleware:
    """ASGI twin of TenantMiddleware: sets scope["tenant"] (and scope["membership"] for agents)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        scope["tenant"] = None
        scope["membership"] = None
        path = scope.get("path", "")
        match = re.match(r"^/ws/(?P<kind>t|c)/(?P<slug>[a-z0-9-]+)/", path)
        if match:
            tenant = await sync_to_async(selectors.tenant_by_slug)(match.group("slug"))
            scope["tenant"] = tenant
            user = scope.get("user")
            if (tenant is not None and match.group("kind") == "t" and user is not None and user.is_authenticated
                    # Cross-site WebSocket hijacking: a site the agent visits would open this socket with their
                    # session cookie, so only this site's pages (its Host, or SITE_URL's origin) may.
                    and origin_allowed(scope, [settings.SITE_URL.lower().rstrip("/")])):
                scope["membership"] = await sync_to_async(_membership)(tenant, user)
        return await self.app(scope, receive, send)


def _membership(tenant: Tenant, user: Any) -> Membership | None:
    with tenant_context(tenant.id, user_id=user.pk):
        return selectors.membership_for(tenant=tenant, user=user)
