"""Visitors, their conversations, and the tenant's chat settings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from chat import selectors, tokens
from chat.models import ORIGIN, ChatSettings, Conversation, Visitor
from tenants.models import Membership, Role, Tenant
from tenants.services import audit_record, require_role


@dataclass(frozen=True)
class ChatSession:
    visitor: Visitor
    conversation: Conversation
    token: str


def _clean_contact(name: str, email: str, *, required: bool) -> tuple[str, str]:
    name, email = (name or "").strip()[:120], (email or "").strip().lower()
    errors: dict[str, str] = {}
    if required and not name:
        errors["name"] = gettext("Tell us your name.")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = gettext("Enter a valid email address.")
        if len(email) > 254:
            errors["email"] = gettext("Enter a valid email address.")
    elif required:
        errors["email"] = gettext("Tell us your email address, so we can follow up.")
    if errors:
        raise ValidationError(errors)
    return name, email


@transaction.atomic
def chat_start(*, tenant: Tenant, name: str = "", email: str = "", visitor: Visitor | None = None) -> ChatSession:
    """Start a conversation (with the bot), for a new visitor or a returning one."""
    settings = selectors.chat_settings_get(tenant=tenant)
    name, email = _clean_contact(name, email, required=settings.prechat_form and visitor is None)
    if visitor is None:
        visitor = Visitor.objects.create(tenant=tenant, key=secrets.token_hex(16), name=name, email=email)
    elif name or email:
        visitor.name, visitor.email = name or visitor.name, email or visitor.email
        visitor.save(update_fields=["name", "email"])
    conversation = Conversation.objects.create(tenant=tenant, visitor=visitor)
    token = tokens.visitor_token(tenant_id=tenant.id, visitor_key=visitor.key)
    return ChatSession(visitor=visitor, conversation=conversation, token=token)


def visitor_from_token(*, tenant: Tenant, token: str) -> Visitor | None:
    key = tokens.visitor_key_from_token(tenant_id=tenant.id, token=token)
    return selectors.visitor_by_key(tenant=tenant, key=key) if key else None


@transaction.atomic
def chat_settings_update(
    *, tenant: Tenant, actor: Membership, allowed_origins: str, prechat_form: bool, welcome: str,
    visitor_messages_per_minute: int, tenant_messages_per_minute: int,
) -> ChatSettings:
    require_role(actor, Role.ADMIN)
    origins = [line.strip().rstrip("/").lower() for line in allowed_origins.splitlines() if line.strip()]
    bad = [o for o in origins if not ORIGIN.fullmatch(o)]
    if bad:
        raise ValidationError({"allowed_origins": gettext("Use origins like https://www.example.com (not %(origin)s).")
                                                  % {"origin": bad[0]}})
    settings, _ = ChatSettings.objects.get_or_create(tenant=tenant)
    settings.allowed_origins = "\n".join(origins)
    settings.prechat_form, settings.welcome = prechat_form, welcome.strip()[:200]
    settings.visitor_messages_per_minute = visitor_messages_per_minute
    settings.tenant_messages_per_minute = tenant_messages_per_minute
    settings.save()
    audit_record(tenant=tenant, actor=actor.user, action="chat.settings_changed", data={"origins": origins})
    return settings
