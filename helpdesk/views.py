from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.request import Request


def index(request: HttpRequest) -> HttpResponse:
    return redirect("home" if request.user.is_authenticated else "login")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class TenantSwaggerView(SpectacularSwaggerView):
    """Swagger UI for the tenant in the URL; its schema lives under the same tenant prefix."""

    def _get_schema_url(self, request: Request) -> str:
        tenant = request._request.tenant  # type: ignore[attr-defined]
        return reverse("api_schema", kwargs={"tenant_slug": tenant.slug})
