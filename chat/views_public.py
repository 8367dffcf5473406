"""The customer side: the hosted chat page (also the widget's iframe), starting a chat, and widget.js."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, pgettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from chat import selectors, services
from chat.forms import PrechatForm
from chat.http_files import attachment_response, errors_response, read_upload, uploaded_response
from chat.models import Visitor
from helpdesk.ratelimit import Rule, client_ip, limit_requests, tenant_of


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
@limit_requests(Rule("chat-start-ip", client_ip, 20), Rule("chat-start-tenant", tenant_of, 1200), json=True)
def chat_start(request: HttpRequest, **kwargs: object) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    settings = selectors.chat_settings_get(tenant=tenant)
    if not _origin_allowed(request, settings.origins):
        return JsonResponse({"detail": gettext("This site may not start chats for this help desk.")}, status=403)
    form = PrechatForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"detail": gettext("Check the form."), "errors": form.errors.get_json_data()}, status=400)
    try:
        session = services.chat_start(tenant=tenant, **form.cleaned_data)
    except ValidationError as exc:
        return JsonResponse({"detail": gettext("Check the form."), "errors": exc.message_dict}, status=400)
    return JsonResponse({"token": session.token, "conversation": session.conversation.id}, status=201)


@require_GET
def widget_js(request: HttpRequest, **kwargs: object) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    # Its words are translated here, in the tenant's language (helpdesk/i18n.py): the script runs on third-party
    # pages, with no catalogue to load. (A .js template is not scanned by makemessages for the django domain.)
    response = render(request, "chat/widget.js", {
        "tenant": tenant, "base": request.build_absolute_uri("/")[:-1],
        "label": gettext("Chat with %(name)s") % {"name": tenant.name},
        "button": pgettext("widget button", "Chat"),
    }, content_type="application/javascript")
    response["Cache-Control"] = "public, max-age=300"
    return response


def _visitor(request: HttpRequest) -> Visitor | None:
    """The signed visitor token authenticates (no cookie: the widget lives in third-party pages): a header from
    scripts, or ``?token=`` on a download link."""
    token = request.headers.get("X-Chat-Token") or request.GET.get("token") or ""
    return services.visitor_from_token(tenant=request.tenant, token=token) if token else None  # type: ignore[attr-defined]


@csrf_exempt  # token-authenticated like chat_start, and Origin is checked
@require_POST
def attachment_upload(request: HttpRequest, **kwargs: object) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    if not _origin_allowed(request, selectors.chat_settings_get(tenant=tenant).origins):
        return JsonResponse({"detail": gettext("This site may not send files to this help desk.")}, status=403)
    visitor = _visitor(request)
    if visitor is None:
        return JsonResponse({"detail": gettext("Start a chat first.")}, status=403)
    try:
        upload = read_upload(request)
        item = services.visitor_attachment_upload(tenant=tenant, visitor=visitor, filename=upload.filename,
                                                  content_type=upload.content_type, data=upload.data)
    except ValidationError as exc:
        return errors_response(exc)
    return uploaded_response(item)


@require_GET
def attachment_download(request: HttpRequest, attachment_id: int, **kwargs: object) -> HttpResponse:
    visitor = _visitor(request)
    if visitor is None:
        raise Http404("No such attachment.")
    return attachment_response(selectors.attachment_for_visitor(
        tenant=request.tenant, visitor=visitor, attachment_id=attachment_id))  # type: ignore[attr-defined]
