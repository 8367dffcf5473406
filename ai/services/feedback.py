"""Agents' verdicts on suggestions: inserted as is, edited, or dismissed."""

from __future__ import annotations

from django.db import transaction

from ai.models import Feedback, Suggestion
from tenants.models import Tenant, User


@transaction.atomic
def suggestion_feedback(*, tenant: Tenant, suggestion: Suggestion, user: User | None, verdict: str,
                        final_text: str = "") -> Feedback:
    if verdict not in (Feedback.Kind.INSERTED, Feedback.Kind.EDITED, Feedback.Kind.DISMISSED):
        raise ValueError(f"unknown verdict {verdict!r}")
    if verdict == Feedback.Kind.INSERTED and final_text.strip() and final_text.strip() != suggestion.text.strip():
        verdict = Feedback.Kind.EDITED
    Suggestion.objects.for_tenant(tenant).filter(id=suggestion.id).update(status=verdict)
    suggestion.status = verdict
    return Feedback.objects.create(tenant=tenant, kind=verdict, suggestion=suggestion, ticket_id=suggestion.ticket_id,
                                   text=final_text[:8000], user=user)
