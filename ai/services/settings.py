"""Per-tenant AI settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from ai.answering import Options
from ai.models import AISettings, Backend
from helpdesk.crypto import secret_decrypt, secret_encrypt, secret_hint
from helpdesk.outbound import UnsafeDestination, destination_check
from tenants.models import Tenant, User
from tenants.services import audit_record

EDITABLE = (
    "auto_reply_chat", "auto_reply_email", "suggestions_enabled", "offer_articles", "confidence_floor", "backend",
    "model", "endpoint_url", "handoff_on_negative", "negative_threshold", "urgent_when_angry", "human_only_categories",
    "routing_rules", "api_key", "clear_api_key",
)


def settings_get(*, tenant: Tenant) -> AISettings:
    """The tenant's settings row, created with the defaults on first use (safe under concurrent first calls)."""
    row, _ = AISettings.objects.for_tenant(tenant).get_or_create(tenant=tenant)
    return row


@transaction.atomic
def settings_update(*, tenant: Tenant, actor: User | None, **changes: Any) -> AISettings:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    row = settings_get(tenant=tenant)
    errors: dict[str, str] = {}
    floor = changes.get("confidence_floor", row.confidence_floor)
    if floor is not None and not 0.0 <= float(floor) <= 1.0:
        errors["confidence_floor"] = gettext("Use a probability between 0 and 1, or leave it empty for the calibrated "
                                               "one.")
    if not -1.0 <= float(changes.get("negative_threshold", row.negative_threshold)) <= 0.0:
        errors["negative_threshold"] = gettext("Use a sentiment score between -1 and 0.")
    backend = changes.get("backend", row.backend)
    endpoint = changes.get("endpoint_url", row.endpoint_url)
    if backend == Backend.OPENAI and not (endpoint or django_settings.AI_OPENAI_BASE_URL):
        errors["endpoint_url"] = gettext("The OpenAI-compatible backend needs an endpoint URL.")
    model = changes.get("model", row.model)
    if backend == Backend.TRANSFORMERS and model and model not in local_models():
        offered = ", ".join(local_models()) or "none besides the packaged one"
        errors["model"] = gettext("Leave empty for the packaged model, or choose a model this server offers "
                                   "(%(offered)s).") % {"offered": offered}
    if "endpoint_url" in changes and _tenants_endpoint(endpoint):
        try:
            destination_check(endpoint)
        except UnsafeDestination as exc:
            errors["endpoint_url"] = gettext("This endpoint cannot be used: %(error)s.") % {"error": exc}
    if errors:
        raise ValidationError(errors)
    key, clear_key = changes.pop("api_key", ""), changes.pop("clear_api_key", False)
    if key:
        row.api_key_encrypted, row.api_key_hint = secret_encrypt(key), secret_hint(key)
    elif clear_key:
        row.api_key_encrypted, row.api_key_hint = "", ""
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    fields = sorted({*changes, *(["api_key"] if key or clear_key else [])})  # names only, never the key
    audit_record(tenant=tenant, actor=actor, action="ai.settings_updated", data={"fields": fields})
    return row


def _model(row: AISettings) -> str:
    if row.backend == Backend.OPENAI:
        return row.model or django_settings.AI_OPENAI_MODEL
    # A path saved before the operator's list existed, or removed from it since, falls back to the default.
    return row.model if row.model in local_models() else django_settings.AI_GENERATION_MODEL_PATH


def local_models() -> list[str]:
    """The local generation models the operator offers tenants (a tenant never names a path of its own)."""
    configured = [django_settings.AI_GENERATION_MODEL_PATH, *django_settings.AI_LOCAL_MODELS]
    return [path for path in dict.fromkeys(configured) if path]


def _tenants_endpoint(url: str) -> bool:
    """A URL the tenant chose, as opposed to none or the operator's own endpoint."""
    return bool(url) and url != django_settings.AI_OPENAI_BASE_URL


def answer_options(row: AISettings) -> Options:
    own = _tenants_endpoint(row.endpoint_url)
    return Options(
        confidence_floor=row.confidence_floor, offer_articles=row.offer_articles,
        negative_threshold=row.negative_threshold,
        handoff_on_negative=row.handoff_on_negative, human_only_categories=tuple(row.human_only_categories),
        backend=row.backend,
        model=_model(row),
        # The operator's key goes to the operator's endpoint only; a tenant's endpoint gets the tenant's own key and
        # is checked again before each call (its name may resolve elsewhere by then).
        endpoint_url=row.endpoint_url if own else django_settings.AI_OPENAI_BASE_URL,
        api_key=secret_decrypt(row.api_key_encrypted) if own else django_settings.AI_OPENAI_API_KEY,
        endpoint_public_only=own, timeout=django_settings.AI_OPENAI_TIMEOUT,
    )
