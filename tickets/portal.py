"""Magic links for the customer portal: a signed, expiring token naming the tenant and the customer."""

from __future__ import annotations

from django.conf import settings
from django.core.signing import BadSignature, TimestampSigner

from tenants.models import Tenant
from tenants.urls_helpers import tenant_reverse
from tickets.models import Customer, Ticket

SALT = "tickets.portal"


def portal_token(*, tenant: Tenant, customer: Customer) -> str:
    return TimestampSigner(salt=SALT).sign(f"{tenant.id}:{customer.id}")


def portal_customer_id(*, tenant: Tenant, token: str) -> int | None:
    """The customer id in a valid, unexpired token for this tenant; None otherwise."""
    try:
        value = TimestampSigner(salt=SALT).unsign(token, max_age=settings.PORTAL_LINK_MAX_AGE)
    except BadSignature:  # also covers SignatureExpired
        return None
    tenant_id, _, customer_id = value.partition(":")
    if tenant_id != str(tenant.id) or not customer_id.isdigit():
        return None
    return int(customer_id)


def portal_url(*, tenant: Tenant, customer: Customer) -> str:
    token = portal_token(tenant=tenant, customer=customer)
    return f"{settings.SITE_URL}{tenant_reverse(tenant, 'portal:tickets')}?token={token}"


def rate_url(*, tenant: Tenant, ticket: Ticket) -> str:
    token = portal_token(tenant=tenant, customer=ticket.requester)
    return f"{settings.SITE_URL}{tenant_reverse(tenant, 'portal:rate', ticket.id)}?token={token}"
