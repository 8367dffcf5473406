from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views import defaults
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.request import Request

from helpdesk.api_errors import error_response, is_api_path
from tenants import views as tenant_views


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


# Django's error handlers (helpdesk/urls.py): JSON in the API's error envelope under the API, the site's pages
# elsewhere. DRF answers its own views' errors; these answer what fails outside them (no URL matches, a body too
# large, a crash), which Django would otherwise answer with an HTML page.

def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_path(request.path_info):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        # Django counts an oversized body among suspicious requests (400); to an API client it is a 413.
        return error_response(413, gettext("The request body is over the limit of %(limit)s bytes.")
                              % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    return error_response(400, gettext("Bad request."))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_path(request.path_info):
        return tenant_views.permission_denied(request, exception)
    return error_response(403, gettext("You do not have permission to perform this action."))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_path(request.path_info):
        return defaults.page_not_found(request, exception)
    # Not the exception's message: a URL that matched no pattern carries the URL patterns it tried.
    return error_response(404, gettext("Not found."))


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api_path(request.path_info):
        return defaults.server_error(request)
    return error_response(500, gettext("A server error occurred."))
