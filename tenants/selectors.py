"""Reads of the tenants app."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from tenants.models import ApiKey, AuditEvent, Invitation, Membership, Tenant, User


def tenant_by_slug(slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug, is_active=True).first()


def tenant_by_domain(domain: str) -> Tenant | None:
    return Tenant.objects.filter(custom_domain=domain.lower(), is_active=True).first()


def tenant_get(*, tenant_id: int) -> Tenant:
    tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None:
        raise Http404("No such help desk.")
    return tenant


def tenant_list() -> QuerySet[Tenant]:
    return Tenant.objects.order_by("slug")


def membership_for(*, tenant: Tenant, user: User) -> Membership | None:
    return Membership.objects.for_tenant(tenant).filter(user=user).select_related("user").first()


def memberships_of_user(*, user: User) -> QuerySet[Membership]:
    """The user's memberships in every tenant; needs ``user_context`` (RLS allows only one's own rows)."""
    return Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")


def member_list(*, tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.for_tenant(tenant).select_related("user").order_by("user__email")


def member_get(*, tenant: Tenant, membership_id: int) -> Membership:
    membership = member_list(tenant=tenant).filter(id=membership_id).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


def invitation_list(*, tenant: Tenant) -> QuerySet[Invitation]:
    return Invitation.objects.for_tenant(tenant).filter(accepted_at__isnull=True).order_by("-created_at")


def api_key_list(*, tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_tenant(tenant).filter(revoked_at__isnull=True).order_by("-created_at")


def audit_list(*, tenant: Tenant) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_tenant(tenant).select_related("actor").order_by("-created_at")


def agents_of(*, tenant: Tenant) -> QuerySet[User]:
    return User.objects.filter(memberships__tenant=tenant).order_by("email")
