"""Help-desk set-up: teams and their members, SLA policies, the inbound email secret, the IMAP mailbox."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk.crypto import secret_encrypt, secret_hint
from helpdesk.outbound import UnsafeDestination
from tenants.models import Membership, Role, Tenant
from tenants.services import audit_record, require_role
from tickets.mail.imap import mailbox_destination_check
from tickets.models import SlaPolicy, Team, TeamMember
from tickets.selectors import IMAP_FOLDER, IMAP_PORT
from tickets.services.sla import sla_validate_business_hours, sla_validate_targets

HOST_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
# Every key of the mailbox in tenant.settings; "imap_password" is the clear one of before migration 0003.
MAILBOX_KEYS = ("imap_host", "imap_port", "imap_user", "imap_folder", "imap_password_encrypted", "imap_password_hint",
                "imap_password")


@transaction.atomic
def team_create(*, tenant: Tenant, name: str, member_ids: list[int] | None = None) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    if Team.objects.for_tenant(tenant).filter(name=name).exists():
        raise ValidationError({"name": _("A team with this name exists.")})
    team = Team.objects.create(tenant=tenant, name=name[:120])
    team_set_members(tenant=tenant, team=team, member_ids=member_ids or [])
    return team


@transaction.atomic
def team_set_members(*, tenant: Tenant, team: Team, member_ids: list[int]) -> Team:
    valid = set(Membership.objects.for_tenant(tenant).filter(user_id__in=member_ids).values_list("user_id", flat=True))
    unknown = set(member_ids) - valid
    if unknown:
        raise ValidationError({"member_ids": _("Not agents of this help desk: %(ids)s.") % {"ids": sorted(unknown)}})
    TeamMember.objects.for_tenant(tenant).filter(team=team).exclude(user_id__in=valid).delete()
    existing = set(TeamMember.objects.for_tenant(tenant).filter(team=team).values_list("user_id", flat=True))
    TeamMember.objects.bulk_create([TeamMember(tenant=tenant, team=team, user_id=uid) for uid in valid - existing])
    return team


@transaction.atomic
def team_member_set_available(*, tenant: Tenant, team: Team, user_id: int, available: bool) -> None:
    updated = TeamMember.objects.for_tenant(tenant).filter(team=team, user_id=user_id).update(is_available=available)
    if not updated:
        raise ValidationError({"user_id": _("Not a member of this team.")})


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
    _settings_save(tenant, {**_settings_locked(tenant), "inbound_secret_hash": _digest(secret)})
    audit_record(tenant=tenant, actor=actor.user, action="email.inbound_secret_rotated")
    return secret


def inbound_secret_check(*, tenant: Tenant, secret: str) -> bool:
    stored = str(tenant.settings.get("inbound_secret_hash") or "")
    return bool(stored and secret) and secrets.compare_digest(stored, _digest(secret))


def _settings_locked(tenant: Tenant) -> dict[str, Any]:
    """The tenant's settings as stored, locked until commit: each writer changes its own keys of one JSON value,
    and without the lock two admins saving at once would each write back the other's old keys."""
    return dict(Tenant.objects.select_for_update().values_list("settings", flat=True).get(id=tenant.id))


def _settings_save(tenant: Tenant, settings: dict[str, Any]) -> None:
    Tenant.objects.filter(id=tenant.id).update(settings=settings)
    tenant.settings = settings


def _has_control_characters(value: str) -> bool:
    # A line break in an IMAP argument would end the command and start one of the sender's choosing.
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


def _host_valid(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(HOST_NAME.fullmatch(host))
    return True


@transaction.atomic
def mailbox_configure(*, tenant: Tenant, actor: Membership, host: str, port: int | None, user: str, password: str,
                      folder: str) -> None:
    """Save the tenant's IMAP mailbox. The password is write-only: stored encrypted with its hint, never in clear.
    An empty password keeps the stored one, but only for the same server: otherwise an admin could send a
    password they never saw to a server of their own."""
    require_role(actor, Role.ADMIN)
    current = _settings_locked(tenant)
    host, user, folder = host.strip().lower().rstrip("."), user.strip(), folder.strip() or IMAP_FOLDER
    port = IMAP_PORT if port is None else port
    errors: dict[str, str] = {}
    if not _host_valid(host):
        errors["host"] = _("Enter the server's host name, such as imap.example.com.")
    if not 0 < port < 65536:
        errors["port"] = _("Use a port between 1 and 65535.")
    if not user:
        errors["user"] = _("Enter the mailbox's user name.")
    for name, value in (("user", user), ("password", password), ("folder", folder)):
        if _has_control_characters(value):
            errors[name] = _("Remove the line breaks and control characters.")
    if not password and not current.get("imap_password_encrypted"):
        errors["password"] = _("Enter the mailbox's password.")
    elif not password and host != current.get("imap_host"):
        errors["password"] = _("Enter the password again: a stored password is only sent to the server it was "
                                 "saved for.")
    if "host" not in errors and "port" not in errors:
        try:
            mailbox_destination_check(host, port)
        except UnsafeDestination as exc:
            errors["host"] = _("This server cannot be used: %(error)s.") % {"error": exc}
    if errors:
        raise ValidationError(errors)
    mailbox: dict[str, Any] = {"imap_host": host, "imap_port": port, "imap_user": user, "imap_folder": folder}
    if password:
        mailbox.update(imap_password_encrypted=secret_encrypt(password), imap_password_hint=secret_hint(password))
    kept = {k: v for k, v in current.items() if k != "imap_password"}  # never a clear password, not even an old one
    _settings_save(tenant, {**kept, **mailbox})
    audit_record(tenant=tenant, actor=actor.user, action="email.mailbox_configured", target=host,
                 data={"port": port, "user": user, "folder": folder, "password_changed": bool(password)})


@transaction.atomic
def mailbox_remove(*, tenant: Tenant, actor: Membership) -> None:
    """Forget the mailbox, password included: polling stops."""
    require_role(actor, Role.ADMIN)
    current = _settings_locked(tenant)
    _settings_save(tenant, {k: v for k, v in current.items() if k not in MAILBOX_KEYS})
    audit_record(tenant=tenant, actor=actor.user, action="email.mailbox_removed",
                 target=str(current.get("imap_host") or ""))
