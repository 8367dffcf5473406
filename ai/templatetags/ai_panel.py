"""The suggestion panels: the ticket page's AI slot (``tickets/_ai_panel.html``) and the chat console's
(``chat/_ai_panel.html``)."""

from __future__ import annotations

from typing import Any

from django import template

from ai import selectors

register = template.Library()


@register.inclusion_tag("ai/_suggestion_panel.html", takes_context=True)
def ai_ticket_panel(context: template.Context, ticket: Any) -> dict[str, Any]:
    request = context["request"]
    suggestion = selectors.suggestion_latest(tenant=request.tenant, ticket_id=ticket.id)
    return {"suggestion": suggestion, "request": request, "tenant": request.tenant,
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("ai/_chat_suggestion_panel.html", takes_context=True)
def ai_chat_panel(context: template.Context) -> dict[str, Any]:
    """The agent console's panel; filled by static/js/chat-suggestions.js for the conversation being watched."""
    request = context["request"]
    return {"request": request, "tenant": request.tenant, "csrf_token": context.get("csrf_token")}
