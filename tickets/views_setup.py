"""Admin set-up pages of the help desk: email channel, macros, teams, SLA policy."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.http import TenantRequest, apply_validation_error, query_int
from tenants.models import Role
from tenants.selectors import agents_of
from tenants.services import require_role
from tenants.urls_helpers import tenant_reverse
from tickets import forms, selectors, services
from tickets.mail.outbound import inbound_address


def email_settings(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    secret = None
    if request.method == "POST":
        secret = services.inbound_secret_rotate(tenant=request.tenant, actor=request.membership)
    return _email_page(request, secret=secret)


@require_POST
def mailbox_save(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    mailbox = selectors.mailbox_get(tenant=request.tenant)
    form = forms.MailboxForm(request.POST, password_hint=mailbox.password_hint if mailbox else "")
    if form.is_valid():
        try:
            services.mailbox_configure(tenant=request.tenant, actor=request.membership, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Mailbox saved."))
            return redirect(tenant_reverse(request.tenant, "tickets:email_settings"))
    return _email_page(request, mailbox_form=form, status=400)


@require_POST
def mailbox_remove(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    services.mailbox_remove(tenant=request.tenant, actor=request.membership)
    messages.success(request, _("Mailbox removed: its mail is no longer fetched."))
    return redirect(tenant_reverse(request.tenant, "tickets:email_settings"))


def _email_page(request: TenantRequest, *, secret: str | None = None, mailbox_form: forms.MailboxForm | None = None,
                status: int = 200) -> HttpResponse:
    mailbox = selectors.mailbox_get(tenant=request.tenant)
    if mailbox_form is None:
        initial = {"host": mailbox.host, "port": mailbox.port, "user": mailbox.user,
                   "folder": mailbox.folder} if mailbox else {}
        mailbox_form = forms.MailboxForm(initial=initial, password_hint=mailbox.password_hint if mailbox else "")
    context = {
        "address": inbound_address(request.tenant), "secret": secret,
        "has_secret": bool(request.tenant.settings.get("inbound_secret_hash")),
        "webhook_url": request.build_absolute_uri(tenant_reverse(request.tenant, "api_inbound_email")),
        "mailbox": mailbox, "mailbox_form": mailbox_form, "polling_enabled": settings.IMAP_POLLING_ENABLED,
    }
    return render(request, "tickets/setup_email.html", context, status=status)


def setup(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    policy = selectors.sla_policy_default(tenant=request.tenant)
    sla_initial = {}
    if policy is not None:
        for priority, targets in policy.targets.items():
            sla_initial[f"{priority}_first"] = targets.get("first_response")
            sla_initial[f"{priority}_resolution"] = targets.get("resolution")
        hours = policy.business_hours
        sla_initial.update(business_hours=bool(hours), days=hours.get("days", [0, 1, 2, 3, 4]),
                           opens=hours.get("start", "09:00"), closes=hours.get("end", "17:00"),
                           timezone=hours.get("timezone", "UTC"))
    context = {
        "macros": selectors.macro_list(tenant=request.tenant), "teams": selectors.team_list(tenant=request.tenant),
        "agents": agents_of(tenant=request.tenant), "macro_form": forms.MacroForm(), "team_form": forms.TeamForm(),
        "sla_form": forms.SlaForm(initial=sla_initial), "policy": policy,
    }
    return render(request, "tickets/setup.html", context)


@require_POST
def macro_add(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    form = forms.MacroForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        actions: dict[str, object] = {k: data[k] for k in ("status", "priority") if data[k]}
        tags = [t.strip() for t in data["add_tags"].split(",") if t.strip()]
        if tags:
            actions["add_tags"] = tags
        try:
            services.macro_create(tenant=request.tenant, name=data["name"], body=data["body"], actions=actions)
            messages.success(request, _("Macro saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Give the macro a name."))
    return redirect(tenant_reverse(request.tenant, "tickets:setup"))


@require_POST
def team_add(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    form = forms.TeamForm(request.POST)
    member_ids = [i for i in map(query_int, request.POST.getlist("members")) if i is not None]
    try:
        if not form.is_valid():
            raise ValidationError({"name": _("Give the team a name.")})
        services.team_create(tenant=request.tenant, name=form.cleaned_data["name"], member_ids=member_ids)
        messages.success(request, _("Team saved."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(tenant_reverse(request.tenant, "tickets:setup"))


@require_POST
def sla_save(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    form = forms.SlaForm(request.POST)
    if form.is_valid():
        try:
            services.sla_policy_save(tenant=request.tenant, name="Default", targets=form.targets(),
                                     business_hours=form.hours(),
                                     policy=selectors.sla_policy_default(tenant=request.tenant))
            messages.success(request, _("SLA policy saved. New tickets use it."))
        except ValidationError as exc:
            apply_validation_error(form, exc)
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Every target must be a positive number of minutes."))
    return redirect(tenant_reverse(request.tenant, "tickets:setup"))
