"""DRF authentication and permission for tenant-scoped API paths (/t/<slug>/api/...)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from tenants import services
from tenants.models import ApiKey, Role, User


class ApiKeyPrincipal:
    """The caller when a request authenticates with an API key: acts as an admin of the key's tenant."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.pk = None
        self.id = None

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        if scheme not in {"Bearer", "Api-Key"} or not key.strip():
            raise exceptions.AuthenticationFailed("Send the API key as 'Authorization: Bearer <key>'.")
        tenant = getattr(request._request, "tenant", None)
        api_key = services.api_key_authenticate(tenant=tenant, key=key.strip()) if tenant else None
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key for this help desk.")
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """Browser session; counts only when the user is a member of the URL's tenant."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        if getattr(request._request, "membership", None) is None:
            return None
        return result


class IsTenantMember(permissions.BasePermission):
    message = "Authentication with an API key or a member's session is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(request._request, "tenant", None) is None:
            return False
        if isinstance(request.auth, ApiKey):
            return True
        return getattr(request._request, "membership", None) is not None


class IsTenantAdmin(IsTenantMember):
    """What the browser reserves for admins (the set-up pages: members, teams, macros; webhooks have no page and
    are set-up too) is admin-only through the API as well. An API key acts as an admin of its tenant."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if isinstance(request.auth, ApiKey):
            return True
        membership = getattr(request._request, "membership", None)
        return membership is not None and bool(membership.has_role(Role.ADMIN))


class IsTenantAdminForWrites(IsTenantMember):
    """Members read (agents pick macros and teams on the ticket page); only admins create, change or delete."""

    message = IsTenantAdmin.message

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return super().has_permission(request, view)
        return IsTenantAdmin().has_permission(request, view)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes API keys (drf-spectacular finds subclasses by ``target_class``)."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer",
                "description": "An API key of the help desk (Settings > API keys): 'Authorization: Bearer <key>'."}


class MemberSessionScheme(OpenApiAuthenticationExtension):
    target_class = TenantSessionAuthentication
    name = "memberSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "A signed-in member's browser session (with the CSRF token on writes)."}
