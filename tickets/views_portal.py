"""The customer portal (public, /h/<slug>/portal/): a magic link signs the customer in to follow their tickets."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from helpdesk.http import apply_validation_error
from helpdesk.ratelimit import Rule, client_ip, limit_requests, posted, tenant_of
from tenants.models import Tenant
from tenants.urls_helpers import tenant_reverse
from tickets import forms, portal, selectors, services
from tickets.mail.outbound import portal_link_email
from tickets.models import Customer


def _session_key(tenant: Tenant) -> str:
    return f"portal_customer_{tenant.id}"


def _customer_id(request: HttpRequest) -> int | None:
    """A valid ?token= signs the customer in for this tenant (stored in the session); else the session's."""
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    token = request.GET.get("token")
    if token:
        customer_id = portal.portal_customer_id(tenant=tenant, token=token)
        if customer_id is not None:
            request.session[_session_key(tenant)] = customer_id
            return customer_id
    value = request.session.get(_session_key(tenant))
    return int(value) if value else None


def tickets(request: HttpRequest) -> HttpResponse:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    customer_id = _customer_id(request)
    if request.GET.get("token") and customer_id is not None:
        return redirect(tenant_reverse(tenant, "portal:tickets"))  # drop the token from the address bar
    if customer_id is None:
        return render(request, "tickets/portal_signin.html", {"form": forms.PortalLinkForm(),
                                                              "expired": bool(request.GET.get("token"))})
    context = {"tickets": selectors.portal_tickets(tenant=tenant, customer_id=customer_id)}
    return render(request, "tickets/portal_list.html", context)


@require_POST
@limit_requests(Rule("portal-link-ip", client_ip, 10), Rule("portal-link-account", posted("email"), 3, window_s=900),
                Rule("portal-link-tenant", tenant_of, 300))
def send_link(request: HttpRequest) -> HttpResponse:
    """Always the same answer, so the form does not reveal who is a customer."""
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    form = forms.PortalLinkForm(request.POST)
    if form.is_valid():
        customer = Customer.objects.for_tenant(tenant).filter(email=form.cleaned_data["email"].lower()).first()
        if customer is not None:
            url = portal.portal_url(tenant=tenant, customer=customer)
            portal_link_email(tenant=tenant, customer=customer, url=url).send()
    messages.success(request, gettext("If we have requests from that address, we just emailed you a link."))
    return redirect(tenant_reverse(tenant, "portal:tickets"))


def new(request: HttpRequest) -> HttpResponse:
    """The web form: anyone may write in; the answer arrives by email with a portal link."""
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    form = forms.PortalRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(tenant=tenant, subject=data["subject"], body=data["body"], channel="web",
                                            requester_email=data["email"], requester_name=data["name"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return render(request, "tickets/portal_thanks.html", {"ticket": ticket})
    return render(request, "tickets/portal_new.html", {"form": form}, status=400 if form.errors else 200)


def ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    customer_id = _customer_id(request)
    if customer_id is None:
        raise Http404("No such ticket.")
    item = selectors.portal_ticket_get(tenant=tenant, customer_id=customer_id, ticket_id=ticket_id)
    form = forms.PortalReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_customer_message(tenant=tenant, ticket=item, customer=item.requester,
                                             body=form.cleaned_data["body"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return redirect(tenant_reverse(tenant, "portal:ticket", item.id))
    thread = selectors.ticket_messages(tenant=tenant, ticket=item, public_only=True)
    return render(request, "tickets/portal_ticket.html", {"ticket": item, "thread": thread, "form": form},
                  status=400 if form.errors else 200)


def rate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    customer_id = _customer_id(request)
    if customer_id is None:
        raise Http404("No such ticket.")
    item = selectors.portal_ticket_get(tenant=tenant, customer_id=customer_id, ticket_id=ticket_id)
    form = forms.RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_rate(tenant=tenant, ticket=item, rating=form.cleaned_data["rating"],
                                 comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, gettext("Thank you for your rating!"))
            return redirect(tenant_reverse(tenant, "portal:ticket", item.id))
    return render(request, "tickets/portal_rate.html", {"ticket": item, "form": form},
                  status=400 if form.errors else 200)
