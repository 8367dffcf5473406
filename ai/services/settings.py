"""Per-tenant AI settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import transaction

from ai.answering import Options
from ai.models import AISettings, Backend
from tenants.models import Tenant, User
from tenants.services import audit_record

EDITABLE = (
    "auto_reply_chat", "auto_reply_email", "suggestions_enabled", "offer_articles", "confidence_floor", "backend",
    "model", "endpoint_url", "handoff_on_negative", "negative_threshold", "urgent_when_angry", "human_only_categories",
    "routing_rules",
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
        errors["confidence_floor"] = "Use a probability between 0 and 1, or leave it empty for the calibrated one."
    if not -1.0 <= float(changes.get("negative_threshold", row.negative_threshold)) <= 0.0:
        errors["negative_threshold"] = "Use a sentiment score between -1 and 0."
    backend = changes.get("backend", row.backend)
    if backend == Backend.OPENAI and not (changes.get("endpoint_url", row.endpoint_url)
                                          or django_settings.AI_OPENAI_BASE_URL):
        errors["endpoint_url"] = "The OpenAI-compatible backend needs an endpoint URL."
    if errors:
        raise ValidationError(errors)
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    audit_record(tenant=tenant, actor=actor, action="ai.settings_updated", data={"fields": sorted(changes)})
    return row


def answer_options(row: AISettings) -> Options:
    return Options(
        confidence_floor=row.confidence_floor, offer_articles=row.offer_articles,
        negative_threshold=row.negative_threshold,
        handoff_on_negative=row.handoff_on_negative, human_only_categories=tuple(row.human_only_categories),
        backend=row.backend,
        model=row.model or (django_settings.AI_OPENAI_MODEL if row.backend == Backend.OPENAI
                            else django_settings.AI_GENERATION_MODEL_PATH),
        endpoint_url=row.endpoint_url or django_settings.AI_OPENAI_BASE_URL,
        api_key=django_settings.AI_OPENAI_API_KEY, timeout=django_settings.AI_OPENAI_TIMEOUT,
    )
