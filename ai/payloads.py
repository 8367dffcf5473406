"""The JSON shape of a suggestion for the agent console (pushed over the socket and served by ``views``)."""

from __future__ import annotations

from typing import Any, TypedDict

from ai.models import Suggestion
from tenants.models import Tenant
from tenants.urls_helpers import tenant_reverse


class ArticleLink(TypedDict):
    title: str
    url: str


class SuggestionPayload(TypedDict):
    type: str
    id: int
    conversation: int | None
    message_id: int
    status: str
    text: str
    citations: list[ArticleLink]
    related: list[ArticleLink]
    feedback_url: str


def _links(rows: list[dict[str, Any]]) -> list[ArticleLink]:
    return [{"title": str(r.get("title", "")), "url": str(r.get("url", ""))} for r in rows if isinstance(r, dict)]


def suggestion_payload(*, tenant: Tenant, suggestion: Suggestion) -> SuggestionPayload:
    return {
        "type": "suggestion", "id": suggestion.id, "conversation": suggestion.conversation_id,
        "message_id": suggestion.message_id, "status": suggestion.status, "text": suggestion.text,
        "citations": _links(suggestion.citations), "related": _links(suggestion.related),
        "feedback_url": tenant_reverse(tenant, "ai:suggestion_feedback", suggestion.id),
    }
