"""The agent console and the chat settings page (under /t/<tenant_slug>/chat/)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chat import selectors, services
from chat.forms import ChatSettingsForm
from chat.http_files import attachment_response, errors_response, read_upload, uploaded_response
from chat.models import Sender
from helpdesk.http import TenantRequest, apply_validation_error
from tenants.models import Role
from tenants.selectors import member_list
from tenants.services import require_role
from tenants.urls_helpers import tenant_reverse
from tickets.selectors import team_list


def console(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    context = {
        "counts": selectors.status_counts(tenant=tenant, agent=request.user),
        "waiting": selectors.waiting_conversations(tenant=tenant)[:100],
        "mine": selectors.agent_conversations(tenant=tenant, agent=request.user),
        "agents": [m.user for m in member_list(tenant=tenant) if m.user_id != request.user.id],
        "teams": team_list(tenant=tenant),
        "is_admin": request.membership.has_role(Role.ADMIN),
    }
    return render(request, "chat/console.html", context)


def chat_settings(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    current = selectors.chat_settings_get(tenant=request.tenant)
    initial = {field: getattr(current, field) for field in ChatSettingsForm.base_fields}
    form = ChatSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.chat_settings_update(tenant=request.tenant, actor=request.membership, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Chat settings saved."))
            return redirect(tenant_reverse(request.tenant, "chat:settings"))
    widget_url = request.build_absolute_uri(f"/c/{request.tenant.slug}/widget.js")
    return render(request, "chat/settings.html", {"form": form, "widget_url": widget_url},
                  status=400 if form.errors else 200)


@require_POST
def attachment_upload(request: TenantRequest, conversation_id: int) -> HttpResponse:
    """An agent's file for a conversation; the console then sends a reply or note that references its id."""
    conversation = selectors.conversation_get(tenant=request.tenant, conversation_id=conversation_id)
    try:
        upload = read_upload(request)
        item = services.attachment_upload(tenant=request.tenant, conversation=conversation, side=Sender.AGENT,
                                          uploader=request.user, filename=upload.filename,
                                          content_type=upload.content_type, data=upload.data)
    except ValidationError as exc:
        return errors_response(exc)
    return uploaded_response(item)


@require_GET
def attachment_download(request: TenantRequest, attachment_id: int) -> HttpResponse:
    return attachment_response(selectors.attachment_get(tenant=request.tenant, attachment_id=attachment_id))
