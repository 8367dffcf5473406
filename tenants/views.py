"""Sign-up, the tenant picker, members, invitations, API keys, settings and the audit log."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from helpdesk.http import TenantRequest, apply_validation_error
from helpdesk.ratelimit import Rule, client_ip, limit_requests, posted
from tenants import domains, forms, selectors, services
from tenants.models import Role, User
from tenants.rls import user_context
from tenants.urls_helpers import tenant_reverse


@limit_requests(Rule("signup-ip", client_ip, 10, window_s=3600),
                Rule("signup-email", posted("email"), 3, window_s=3600))
def signup(request: HttpRequest) -> HttpResponse:
    """Signed in: the new help desk is created at once. Signed out: a link is mailed first (services.signup_request)."""
    owner = request.user if request.user.is_authenticated else None
    signed_in = owner is not None
    form = (forms.HelpDeskForm if signed_in else forms.SignupForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if owner is not None:
                tenant = services.tenant_create(slug=data["slug"], name=data["company"],
                                                owner_email=owner.email, owner_password=None)
                return redirect(tenant_reverse(tenant, "tenant_home"))
            services.signup_request(company=data["company"], slug=data["slug"], name=data["name"],
                                    email=data["email"])
            return render(request, "tenants/signup_sent.html", {"email": data["email"]})
        except ValidationError as exc:
            apply_validation_error(form, exc)
    status = 400 if request.method == "POST" else 200
    return render(request, "tenants/signup.html", {"form": form, "signed_in": signed_in}, status=status)


@limit_requests(Rule("signup-confirm-ip", client_ip, 20, window_s=3600))
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pending = services.signup_pending(token)
    except ValidationError as exc:
        return render(request, "tenants/signup_confirm.html", {"invalid": exc.messages[0]}, status=400)
    form = forms.SignupConfirmForm(request.POST or None, initial={"name": pending.name})
    if request.method == "POST" and form.is_valid():
        try:
            tenant, user = services.signup_confirm(token=token, name=form.cleaned_data["name"],
                                                   password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(tenant_reverse(tenant, "tenant_home"))
    status = 400 if request.method == "POST" else 200
    return render(request, "tenants/signup_confirm.html", {"form": form, "pending": pending}, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required
    form = forms.ProfileForm(request.POST or None, initial={"name": user.name, "language": user.language})
    if request.method == "POST" and form.is_valid():
        services.user_profile_update(user=user, name=form.cleaned_data["name"],
                                     language=form.cleaned_data["language"])
        translation.activate(user.language or translation.get_language_from_request(request))
        messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    return render(request, "tenants/profile.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The tenant picker: goes straight in when the user belongs to one help desk."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    with user_context(user.pk):
        memberships = list(selectors.memberships_of_user(user=user))
    if len(memberships) == 1:
        return redirect(tenant_reverse(memberships[0].tenant, "tenant_home"))
    return render(request, "tenants/home.html", {"memberships": memberships})


# The dashboard's tiles: (title, URL name, text). Apps whose pages are not installed are skipped.
DASHBOARD_CARDS = [
    (gettext_lazy("Tickets"), "tickets:queue", gettext_lazy("Work the queues: mine, unassigned, breaching SLA.")),
    (gettext_lazy("Live chat"), "chat:console", gettext_lazy("Conversations waiting for an agent and your own.")),
    (gettext_lazy("Knowledge base"), "kb:articles", gettext_lazy("Write and publish help-center articles.")),
    (gettext_lazy("AI"), "ai:settings", gettext_lazy("Auto-reply, triage, suggestions and their metrics.")),
    (gettext_lazy("Members"), "members", gettext_lazy("Invite agents and admins, change roles.")),
    (gettext_lazy("Settings"), "settings", gettext_lazy("Branding, custom domain, API keys, audit log.")),
]


def tenant_home(request: TenantRequest) -> HttpResponse:
    cards = []
    for title, name, text in DASHBOARD_CARDS:
        try:
            cards.append({"title": title, "url": tenant_reverse(request.tenant, name), "text": text})
        except NoReverseMatch:
            continue
    return render(request, "tenants/dashboard.html", {"cards": cards})


def members(request: TenantRequest) -> HttpResponse:
    services.require_role(request.membership, Role.ADMIN)
    invite_form = forms.InviteForm(request.POST or None)
    issued = None
    if request.method == "POST" and invite_form.is_valid():
        try:
            issued = services.invitation_create(
                tenant=request.tenant, actor=request.membership, **invite_form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(invite_form, exc)
        else:
            invite_form = forms.InviteForm()
    context = {
        "members": selectors.member_list(tenant=request.tenant),
        "invitations": selectors.invitation_list(tenant=request.tenant),
        "invite_form": invite_form,
        "issued": issued,
        "invite_url": request.build_absolute_uri(
            tenant_reverse(request.tenant, "invitation_accept", token=issued.token)
        ) if issued else "",
        "roles": Role.choices,
    }
    status = 400 if request.method == "POST" and invite_form.errors else 200
    return render(request, "tenants/members.html", context, status=status)


@require_POST
def member_role(request: TenantRequest, membership_id: int) -> HttpResponse:
    membership = selectors.member_get(tenant=request.tenant, membership_id=membership_id)
    form = forms.RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect(tenant_reverse(request.tenant, "members"))
    try:
        services.member_change_role(
            tenant=request.tenant, actor=request.membership, membership=membership, role=form.cleaned_data["role"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(email)s is now %(role)s.")
                         % {"email": membership.user.email, "role": membership.get_role_display()})
    return redirect(tenant_reverse(request.tenant, "members"))


@require_POST
def member_remove(request: TenantRequest, membership_id: int) -> HttpResponse:
    membership = selectors.member_get(tenant=request.tenant, membership_id=membership_id)
    try:
        services.member_remove(tenant=request.tenant, actor=request.membership, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(email)s was removed.") % {"email": membership.user.email})
    return redirect(tenant_reverse(request.tenant, "members"))


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Reached at /t/<slug>/join/<token>/ — the middleware lets invitees through before they are members."""
    tenant = request.tenant  # type: ignore[attr-defined]
    form = forms.AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user if request.user.is_authenticated else None
        try:
            if user is None:
                user = services.invitation_account(
                    tenant=tenant, token=token, name=form.cleaned_data.get("name") or "",
                    password=form.cleaned_data.get("password") or "",
                )
            services.invitation_accept(tenant=tenant, token=token, user=user)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # type: ignore[arg-type]
            return redirect(tenant_reverse(tenant, "tenant_home"))
    return render(request, "tenants/accept.html", {"form": form}, status=400 if form.errors else 200)


def api_keys(request: TenantRequest) -> HttpResponse:
    services.require_role(request.membership, Role.ADMIN)
    form = forms.ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = services.api_key_create(tenant=request.tenant, actor=request.membership, **form.cleaned_data)
        form = forms.ApiKeyForm()
    context = {"keys": selectors.api_key_list(tenant=request.tenant), "form": form, "issued": issued}
    return render(request, "tenants/api_keys.html", context, status=400 if form.errors else 200)


@require_POST
def api_key_revoke(request: TenantRequest, key_id: int) -> HttpResponse:
    api_key = selectors.api_key_list(tenant=request.tenant).filter(id=key_id).first()
    if api_key is None:
        raise Http404("No such key.")
    services.api_key_revoke(tenant=request.tenant, actor=request.membership, api_key=api_key)
    messages.success(request, _("Key %(prefix)s… revoked.") % {"prefix": api_key.prefix})
    return redirect(tenant_reverse(request.tenant, "api_keys"))


def settings_page(request: TenantRequest) -> HttpResponse:
    services.require_role(request.membership, Role.ADMIN)
    tenant = request.tenant
    initial = {"name": tenant.name, "custom_domain": tenant.custom_domain or "", **tenant.branding,
               "language": tenant.language, "languages": tenant.languages[1:], "timezone": tenant.timezone}
    form = forms.TenantSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.tenant_update_settings(
                tenant=tenant, actor=request.membership, name=data.pop("name"),
                custom_domain=data.pop("custom_domain"), language=data.pop("language"),
                languages=data.pop("languages"), zone=data.pop("timezone"), branding=data,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect(tenant_reverse(tenant, "settings"))
    context = {"form": form, "verification": domains.verification_record(tenant, "<your domain>"),
               "verification_on": settings.CUSTOM_DOMAIN_VERIFICATION}
    return render(request, "tenants/settings.html", context, status=400 if form.errors else 200)


def audit_log(request: TenantRequest) -> HttpResponse:
    services.require_role(request.membership, Role.ADMIN)
    page = Paginator(selectors.audit_list(tenant=request.tenant), 50).get_page(request.GET.get("page"))
    return render(request, "tenants/audit.html", {"page": page})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"message": str(exception or "")}, status=403)


class PasswordResetView(auth_views.PasswordResetView):
    """Django builds the reset link from the request's Host header, which the requester chooses: a reset asked for
    a victim's address with ``Host: attacker.example`` would mail the victim a link that hands the token to the
    attacker. The link is built from ``SITE_URL``, whatever the Host."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        site = urlsplit(settings.SITE_URL)
        form.save(
            domain_override=site.netloc, use_https=site.scheme == "https", token_generator=self.token_generator,
            from_email=self.from_email, email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name, request=self.request,
            html_email_template_name=self.html_email_template_name,
            extra_email_context=dict(self.extra_email_context or {}),
        )
        return HttpResponseRedirect(self.get_success_url())


# Guessing passwords, mailing reset links to someone else's inbox and mass sign-ups are bounded per address and per
# account; the numbers leave room for a person's mistakes, not for a script.
login_view = limit_requests(
    Rule("login-ip", client_ip, 30), Rule("login-account", posted("username"), 10, window_s=900),
)(auth_views.LoginView.as_view())
password_reset_view = limit_requests(
    Rule("reset-ip", client_ip, 10), Rule("reset-account", posted("email"), 3, window_s=900),
)(PasswordResetView.as_view())
