"""The customer side: the hosted chat page (also the widget's iframe), starting a chat, and widget.js."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from chat import selectors, services
from chat.forms import PrechatForm


def _origin_allowed(request: HttpRequest, origins: list[str]) -> bool:
    origin = (request.headers.get("Origin") or "").rstrip("/").lower()
    return not origin or origin.split("://", 1)[-1] == request.get_host().lower() or origin in origins


@require_GET
@xframe_options_exempt
def chat_page(request: HttpRequest, **kwargs: object) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    settings = selectors.chat_settings_get(tenant=tenant)
    embed = request.GET.get("embed") == "1"
    response = render(request, "chat/page.html", {
        "settings": settings, "form": PrechatForm(), "embed": embed,
    })
    # Only the tenant's own pages and its allowed sites may frame the chat (the widget is an iframe of this page).
    ancestors = " ".join(["'self'", *settings.origins])
    response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    return response


@csrf_exempt  # no session or cookie is involved: the answer is a new signed token, and Origin is checked
@require_POST
def chat_start(request: HttpRequest, **kwargs: object) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    settings = selectors.chat_settings_get(tenant=tenant)
    if not _origin_allowed(request, settings.origins):
        return JsonResponse({"detail": "This site may not start chats for this help desk."}, status=403)
    form = PrechatForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"detail": "Check the form.", "errors": form.errors.get_json_data()}, status=400)
    try:
        session = services.chat_start(tenant=tenant, **form.cleaned_data)
    except ValidationError as exc:
        return JsonResponse({"detail": "Check the form.", "errors": exc.message_dict}, status=400)
    return JsonResponse({"token": session.token, "conversation": session.conversation.id}, status=201)


@require_GET
def widget_js(request: HttpRequest, **kwargs: object) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    response = render(request, "chat/widget.js", {"tenant": tenant, "base": request.build_absolute_uri("/")[:-1]},
                      content_type="application/javascript")
    response["Cache-Control"] = "public, max-age=300"
    return response
