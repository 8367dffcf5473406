"""Writes of the tenants app: one function per use case."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from helpdesk.realtime import MEMBER_REVOKED, publish_on_commit
from tenants.domains import custom_domain_check
from tenants.models import RESERVED_SLUGS, ApiKey, AuditEvent, Invitation, Membership, Role, Tenant, User
from tenants.rls import tenant_context

INVITATION_TTL = timedelta(days=7)
SIGNUP_TTL = timedelta(days=1)
SIGNUP_SALT = "tenants.signup"
API_KEY_PREFIX = "hd_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def audit_record(
    *, tenant: Tenant, actor: User | None, action: str, target: str = "", data: dict[str, object] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        tenant=tenant, actor=actor, action=action, target=target[:120], data=data or {}, ip=ip
    )


def _validate_slug(slug: str) -> None:
    from tenants.models import slug_validator

    slug_validator(slug)
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": gettext("This address is reserved.")})
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": gettext("This address is already taken.")})


@transaction.atomic
def tenant_create(
    *, slug: str, name: str, owner_email: str, owner_password: str | None, owner_name: str = ""
) -> Tenant:
    """Create a tenant and its owner (sign-up and the operator command). Reuses an existing user by email."""
    slug = slug.strip().lower()
    try:
        _validate_slug(slug)
    except ValidationError as exc:
        raise exc if hasattr(exc, "error_dict") else ValidationError({"slug": exc.messages}) from exc
    try:
        tenant = Tenant.objects.create(slug=slug, name=name.strip() or slug)
    except IntegrityError as exc:  # a concurrent sign-up took the slug between the check and the insert
        raise ValidationError({"slug": gettext("This address is already taken.")}) from exc
    email = owner_email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, owner_password, name=owner_name)
    with tenant_context(tenant.id):
        Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
        audit_record(tenant=tenant, actor=user, action="tenant.created", target=slug)
    return tenant


@dataclass(frozen=True)
class PendingSignup:
    company: str
    slug: str
    name: str
    email: str


def signup_request(*, company: str, slug: str, name: str, email: str) -> None:
    """Mail the address a link that finishes the sign-up, or, when it already has an account, a note saying so.
    The page says "check your inbox" either way: sign-up must not tell strangers who has an account, nor accept a
    password for one (that would be a second login form without the login's limits)."""
    _validate_slug(slug)
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        body = render_to_string("tenants/email/signup_exists.txt", {
            "login_url": settings.SITE_URL + reverse("login"), "signup_url": settings.SITE_URL + reverse("signup"),
            "company": company,
        })
    else:
        token = signing.dumps({"company": company, "slug": slug, "name": name, "email": email}, salt=SIGNUP_SALT)
        body = render_to_string("tenants/email/signup_confirm.txt", {
            "url": settings.SITE_URL + reverse("signup_confirm", kwargs={"token": token}), "company": company,
            "hours": int(SIGNUP_TTL.total_seconds() // 3600),
        })
    send_mail(gettext("Finish creating your help desk"), body, None, [email])


def signup_pending(token: str) -> PendingSignup:
    """The sign-up a mailed link stands for; a forged, expired or already used link is a ValidationError."""
    try:
        data = signing.loads(token, salt=SIGNUP_SALT, max_age=SIGNUP_TTL)
        pending = PendingSignup(company=str(data["company"]), slug=str(data["slug"]), name=str(data["name"]),
                                email=str(data["email"]))
    except (signing.BadSignature, KeyError, TypeError) as exc:
        raise ValidationError({"__all__": gettext("This link is invalid or has expired. Sign up again.")}) from exc
    if User.objects.filter(email=pending.email).exists():
        raise ValidationError({"__all__": gettext("This link has been used. Sign in instead.")})
    return pending


def signup_confirm(*, token: str, name: str, password: str) -> tuple[Tenant, User]:
    """Create the help desk and its owner from a confirmed sign-up link."""
    pending = signup_pending(token)
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    tenant = tenant_create(slug=pending.slug, name=pending.company, owner_email=pending.email,
                           owner_password=password, owner_name=name or pending.name)
    return tenant, User.objects.get(email=pending.email)


def user_profile_update(*, user: User, name: str, language: str) -> User:
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": gettext("Choose one of the languages offered.")})
    user.name = name.strip()
    user.language = language
    user.save(update_fields=["name", "language"])
    return user


def require_role(membership: Membership | None, role: str) -> Membership:
    if membership is None or not membership.has_role(role):
        raise PermissionDenied(gettext("Your role does not allow this."))
    return membership


def _may_manage(actor: Membership, role: str) -> bool:
    """Admins manage agents; only owners manage admins and owners."""
    if role in (Role.ADMIN, Role.OWNER):
        return actor.role == Role.OWNER
    return actor.has_role(Role.ADMIN)


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str


@transaction.atomic
def invitation_create(*, tenant: Tenant, actor: Membership, email: str, role: str) -> IssuedInvitation:
    require_role(actor, Role.ADMIN)
    if not _may_manage(actor, role):
        raise PermissionDenied(gettext("Only owners can invite admins or owners."))
    email = email.strip().lower()
    if Membership.objects.for_tenant(tenant).filter(user__email=email).exists():
        raise ValidationError({"email": gettext("This person is already a member.")})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        tenant=tenant, email=email, role=role, token_hash=_digest(token), invited_by=actor.user,
        expires_at=timezone.now() + INVITATION_TTL,
    )
    audit_record(tenant=tenant, actor=actor.user, action="member.invited", target=email, data={"role": role})
    return IssuedInvitation(invitation=invitation, token=token)


@transaction.atomic
def invitation_accept(*, tenant: Tenant, token: str, user: User) -> Membership:
    invitation = Invitation.objects.for_tenant(tenant).filter(token_hash=_digest(token)).first()
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < timezone.now():
        raise ValidationError({"token": gettext("This invitation is invalid or has expired.")})
    if invitation.email != user.email:
        raise ValidationError({"token": gettext("This invitation was sent to another email address.")})
    membership, _ = Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": invitation.role})
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(tenant=tenant, actor=user, action="member.joined", target=user.email, data={"role": membership.role})
    return membership


def invitation_account(*, tenant: Tenant, token: str, name: str, password: str) -> User:
    """The invitee's account: created on the spot, or an existing one proven by its password."""
    pending = Invitation.objects.for_tenant(tenant).filter(accepted_at__isnull=True, expires_at__gte=timezone.now())
    invitation = pending.filter(token_hash=_digest(token)).first()
    if invitation is None:
        raise ValidationError({"__all__": gettext("This invitation is invalid or has expired.")})
    user = User.objects.filter(email=invitation.email).first()
    if user is None:
        if len(password) < 8:
            raise ValidationError({"password": gettext("Choose a password of at least 8 characters.")})
        return User.objects.create_user(invitation.email, password, name=name)
    if not user.check_password(password):
        raise ValidationError({"password": gettext("Sign in first, or enter your existing password.")})
    return user


def _owners_left(tenant: Tenant, excluding: Membership) -> int:
    return Membership.objects.for_tenant(tenant).filter(role=Role.OWNER).exclude(id=excluding.id).count()


@transaction.atomic
def member_change_role(*, tenant: Tenant, actor: Membership, membership: Membership, role: str) -> Membership:
    require_role(actor, Role.ADMIN)
    if role not in Role.values:
        raise ValidationError({"role": gettext("Unknown role %(role)s.") % {"role": repr(role)}})
    if not (_may_manage(actor, membership.role) and _may_manage(actor, role)):
        raise PermissionDenied(gettext("Only owners can manage admins and owners."))
    if membership.role == Role.OWNER and role != Role.OWNER and _owners_left(tenant, membership) == 0:
        raise ValidationError({"role": gettext("A help desk needs at least one owner.")})
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        tenant=tenant, actor=actor.user, action="member.role_changed", target=membership.user.email,
        data={"from": old, "to": role},
    )
    return membership


@transaction.atomic
def member_remove(*, tenant: Tenant, actor: Membership, membership: Membership) -> None:
    require_role(actor, Role.ADMIN)
    if not _may_manage(actor, membership.role):
        raise PermissionDenied(gettext("Only owners can remove admins and owners."))
    if membership.role == Role.OWNER and _owners_left(tenant, membership) == 0:
        raise ValidationError({"role": gettext("A help desk needs at least one owner.")})
    audit_record(tenant=tenant, actor=actor.user, action="member.removed", target=membership.user.email)
    membership.delete()
    # Their open sockets (agent console, notifications, ticket pages) close once this has committed.
    publish_on_commit(tenant.id, ("member", membership.user_id), MEMBER_REVOKED, {})


def member_set_presence(*, tenant: Tenant, membership: Membership, presence: str) -> Membership:
    if presence not in {"online", "away", "offline"}:
        raise ValidationError({"presence": gettext("Choose online, away or offline.")})
    Membership.objects.for_tenant(tenant).filter(id=membership.id).update(presence=presence)
    membership.presence = presence
    return membership


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    key: str


@transaction.atomic
def api_key_create(*, tenant: Tenant, actor: Membership, name: str) -> IssuedApiKey:
    require_role(actor, Role.ADMIN)
    if not name.strip():
        raise ValidationError({"name": gettext("Give the key a name.")})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = f"{API_KEY_PREFIX}{prefix}_{secret}"
    api_key = ApiKey.objects.create(
        tenant=tenant, name=name.strip()[:80], prefix=prefix, key_hash=_digest(key), created_by=actor.user
    )
    audit_record(tenant=tenant, actor=actor.user, action="api_key.created", target=api_key.prefix)
    return IssuedApiKey(api_key=api_key, key=key)


@transaction.atomic
def api_key_revoke(*, tenant: Tenant, actor: Membership, api_key: ApiKey) -> None:
    require_role(actor, Role.ADMIN)
    ApiKey.objects.for_tenant(tenant).filter(id=api_key.id).update(revoked_at=timezone.now())
    audit_record(tenant=tenant, actor=actor.user, action="api_key.revoked", target=api_key.prefix)


def api_key_authenticate(*, tenant: Tenant, key: str) -> ApiKey | None:
    """The key's tenant must be the URL's tenant: a key of A looked up under B is simply not found."""
    parts = key.split("_")
    if len(parts) < 3 or not key.startswith(API_KEY_PREFIX):
        return None
    api_key = ApiKey.objects.for_tenant(tenant).filter(prefix=parts[1], revoked_at__isnull=True).first()
    if api_key is None or not secrets.compare_digest(api_key.key_hash, _digest(key)):
        return None
    ApiKey.objects.for_tenant(tenant).filter(id=api_key.id).update(last_used_at=timezone.now())
    return api_key


@transaction.atomic
def tenant_update_settings(
    *, tenant: Tenant, actor: Membership, name: str, custom_domain: str | None, branding: dict[str, object],
    language: str = "", languages: list[str] | None = None, zone: str = "",
) -> Tenant:
    """``language``: the customers' default (blank keeps it); ``languages``: the others they may switch to."""
    require_role(actor, Role.ADMIN)
    domain = (custom_domain or "").strip().lower().rstrip(".") or None
    if domain and domain != tenant.custom_domain:
        custom_domain_check(tenant=tenant, domain=domain)
    offered = dict(settings.LANGUAGES)
    if (language and language not in offered) or any(code not in offered for code in languages or []):
        raise ValidationError({"language": gettext("Choose among the languages offered.")})
    tenant.name = name.strip() or tenant.name
    tenant.custom_domain = domain
    tenant.branding = {**tenant.branding, **branding}
    if zone:
        if zone not in available_timezones():
            raise ValidationError({"timezone": gettext("Choose a time zone from the list.")})
        tenant.settings = {**tenant.settings, "timezone": zone}
    if language:
        tenant.settings = {**tenant.settings, "language": language}
    if languages is not None:
        tenant.settings = {**tenant.settings, "languages": [c for c in languages if c != tenant.language]}
    tenant.save(update_fields=["name", "custom_domain", "branding", "settings"])
    audit_record(tenant=tenant, actor=actor.user, action="tenant.settings_changed",
                 data={"name": tenant.name, "custom_domain": domain or "", "languages": tenant.languages})
    return tenant
