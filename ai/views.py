"""AI pages: settings and the overview (admins), and the suggestion endpoints agents use (ticket page, console)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ai import charts, metrics, selectors, tasks
from ai.forms import AISettingsForm, SuggestionFeedbackForm
from ai.payloads import suggestion_payload
from ai.services import feedback as feedback_services
from ai.services import settings as settings_services
from chat import selectors as chat_selectors
from helpdesk.http import TenantRequest, apply_validation_error, safe_next
from kb import selectors as kb_selectors
from tenants.models import Role
from tenants.services import require_role
from tenants.urls_helpers import tenant_reverse
from tickets import selectors as ticket_selectors


def settings_page(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    row = settings_services.settings_get(tenant=request.tenant)
    reader = selectors.reader_description(row=row)  # the saved one: validating a form writes into its instance
    categories = [(c.slug, c.title) for c in kb_selectors.category_list(tenant=request.tenant)]
    teams = [(t.id, t.name) for t in ticket_selectors.team_list(tenant=request.tenant)]
    form = AISettingsForm(request.POST or None, instance=row, categories=categories, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            settings_services.settings_update(tenant=request.tenant, actor=request.user, **form.changes())
        except ValidationError as exc:
            apply_validation_error(form, exc)  # type: ignore[arg-type]
        else:
            messages.success(request, _("AI settings saved."))
            return redirect(tenant_reverse(request.tenant, "ai:settings"))
    context = {"form": form, "reader": reader,
               "embeddings": selectors.embedding_status(tenant=request.tenant)}
    return render(request, "ai/settings.html", context, status=400 if form.errors else 200)


def overview(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    versions = list(selectors.classifier_versions(tenant=request.tenant)[:20])
    shown = next((v for v in versions if v.is_active), versions[0] if versions else None)
    by_language = metrics.metrics_by_language(tenant=request.tenant)
    context = {
        "metrics": by_language.total, "by_language": by_language,
        "gaps": selectors.knowledge_gaps(tenant=request.tenant),
        "versions": versions, "shown": shown,
        "confusion": charts.confusion_svg(shown.labels, shown.confusion) if shown else "",
        "traces": Paginator(selectors.trace_list(tenant=request.tenant), 25).get_page(request.GET.get("page")),
    }
    return render(request, "ai/overview.html", context)


@require_POST
def train(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    tasks.classifier_train.delay(request.tenant.id)
    messages.success(request, _("Training started: the new version appears below when it is done."))
    return redirect(tenant_reverse(request.tenant, "ai:overview"))


@require_POST
def suggestion_feedback(request: TenantRequest, suggestion_id: int) -> HttpResponse:
    suggestion = selectors.suggestion_get(tenant=request.tenant, suggestion_id=suggestion_id)
    form = SuggestionFeedbackForm(request.POST)
    if not form.is_valid():
        errors = {field: [str(m) for m in messages_] for field, messages_ in form.errors.items()}
        return JsonResponse({"detail": _("Check the fields."), "errors": errors}, status=400)
    feedback_services.suggestion_feedback(tenant=request.tenant, suggestion=suggestion, user=request.user,
                                          verdict=form.cleaned_data["verdict"], final_text=form.cleaned_data["text"])
    if request.headers.get("x-requested-with") == "fetch":
        return HttpResponse(status=204)
    return redirect(safe_next(request, request.POST.get("next", ""), tenant_reverse(request.tenant, "tenant_home")))


@require_GET
def chat_suggestion(request: TenantRequest, conversation_id: int) -> JsonResponse:
    """The agent console's panel: the pending suggestion of a conversation of this tenant (404 otherwise)."""
    conversation = chat_selectors.conversation_get(tenant=request.tenant, conversation_id=conversation_id)
    suggestion = selectors.chat_suggestion_pending(tenant=request.tenant, conversation_id=conversation.id)
    payload = suggestion_payload(tenant=request.tenant, suggestion=suggestion) if suggestion else None
    return JsonResponse({"suggestion": payload})
