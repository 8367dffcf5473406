"""Help-desk set-up: teams and their members, SLA policies, the inbound email secret."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from tenants.models import Membership, Role, Tenant
from tenants.services import audit_record, require_role
from tickets.models import SlaPolicy, Team, TeamMember
from tickets.services.sla import sla_validate_business_hours, sla_validate_targets


@transaction.atomic
def team_create(*, tenant: Tenant, name: str, member_ids: list[int] | None = None) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the team a name."})
    if Team.objects.for_tenant(tenant).filter(name=name).exists():
        raise ValidationError({"name": "A team with this name exists."})
    team = Team.objects.create(tenant=tenant, name=name[:120])
    team_set_members(tenant=tenant, team=team, member_ids=member_ids or [])
    return team


@transaction.atomic
def team_set_members(*, tenant: Tenant, team: Team, member_ids: list[int]) -> Team:
    valid = set(Membership.objects.for_tenant(tenant).filter(user_id__in=member_ids).values_list("user_id", flat=True))
    unknown = set(member_ids) - valid
    if unknown:
        raise ValidationError({"member_ids": f"Not agents of this help desk: {sorted(unknown)}."})
    TeamMember.objects.for_tenant(tenant).filter(team=team).exclude(user_id__in=valid).delete()
    existing = set(TeamMember.objects.for_tenant(tenant).filter(team=team).values_list("user_id", flat=True))
    TeamMember.objects.bulk_create([TeamMember(tenant=tenant, team=team, user_id=uid) for uid in valid - existing])
    return team


@transaction.atomic
def team_member_set_available(*, tenant: Tenant, team: Team, user_id: int, available: bool) -> None:
    updated = TeamMember.objects.for_tenant(tenant).filter(team=team, user_id=user_id).update(is_available=available)
    if not updated:
        raise ValidationError({"user_id": "Not a member of this team."})


@transaction.atomic
def sla_policy_save(
    *, tenant: Tenant, name: str, targets: object, business_hours: dict[str, object] | None = None,
    is_default: bool = True, policy: SlaPolicy | None = None,
) -> SlaPolicy:
    clean = sla_validate_targets(targets)
    hours = sla_validate_business_hours(business_hours)
    if is_default:
        SlaPolicy.objects.for_tenant(tenant).filter(is_default=True).exclude(id=getattr(policy, "id", 0) or 0).update(
            is_default=False
        )
    policy = policy or SlaPolicy(tenant=tenant)
    policy.name, policy.targets, policy.is_default = name.strip()[:120] or "SLA", clean, is_default
    policy.business_hours = hours
    policy.save()
    return policy


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def inbound_secret_rotate(*, tenant: Tenant, actor: Membership) -> str:
    """A new inbound-email secret; only its hash is stored, so the caller shows it once."""
    require_role(actor, Role.ADMIN)
    secret = secrets.token_urlsafe(24)
    tenant.settings = {**tenant.settings, "inbound_secret_hash": _digest(secret)}
    Tenant.objects.filter(id=tenant.id).update(settings=tenant.settings)
    audit_record(tenant=tenant, actor=actor.user, action="email.inbound_secret_rotated")
    return secret


def inbound_secret_check(*, tenant: Tenant, secret: str) -> bool:
    stored = str(tenant.settings.get("inbound_secret_hash") or "")
    return bool(stored and secret) and secrets.compare_digest(stored, _digest(secret))
