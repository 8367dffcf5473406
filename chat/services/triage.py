"""Labels on a conversation from the triage of its customer messages, and pushes meant for agents only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Least
from django.utils.translation import gettext as _

from chat import broadcast, selectors
from chat.models import Conversation
from chat.payloads import conversation_payload
from tenants.models import Tenant

SENTIMENTS = ("negative", "neutral", "positive")
# Frame types that other apps may push to the agents watching a conversation (never to the customer).
STAFF_FRAMES = ("suggestion",)


@transaction.atomic
def conversation_set_triage(*, tenant: Tenant, conversation: Conversation, sentiment: str, sentiment_score: float,
                            language: str = "", category: str = "") -> Conversation:
    """Record the triage of the latest customer message: its sentiment and language replace the previous ones,
    the category is set only while the conversation has none, and the lowest sentiment is kept."""
    if sentiment not in SENTIMENTS:
        raise ValidationError({"sentiment": _("Use one of %(choices)s.") % {"choices": ", ".join(SENTIMENTS)}})
    if not -1.0 <= sentiment_score <= 1.0:
        raise ValidationError({"sentiment_score": _("Use a score between -1 and 1.")})
    changes: dict[str, Any] = {
        "sentiment": sentiment, "sentiment_score": sentiment_score,
        # In the UPDATE itself, so two messages triaged at once cannot lose the lower score.
        "sentiment_min": Least(Coalesce(F("sentiment_min"), Value(sentiment_score)), Value(sentiment_score)),
    }
    if language:
        changes["language"] = language[:10]
    rows = Conversation.objects.for_tenant(tenant).filter(id=conversation.id)
    if not rows.update(**changes):
        raise ValidationError({"conversation": _("No such conversation.")})
    if category:
        rows.filter(category="").update(category=category[:100])
    fresh = selectors.conversation_get(tenant=tenant, conversation_id=conversation.id)
    # The labels are internal: only the agents watching the conversation get them, never the customer's group.
    broadcast.to_conversation(tenant.id, fresh.id, conversation_payload(fresh), staff=True)
    return fresh


def conversation_staff_push(*, tenant: Tenant, conversation: Conversation, payload: dict[str, Any]) -> None:
    """Push a frame (an AI suggestion) on commit to the agents watching the conversation; the customer's socket
    is not in the staff group, so it never sees it."""
    if payload.get("type") not in STAFF_FRAMES:
        raise ValueError(f"not a staff frame: {payload.get('type')!r}")
    broadcast.to_conversation(tenant.id, conversation.id, {**payload, "conversation": conversation.id}, staff=True)
