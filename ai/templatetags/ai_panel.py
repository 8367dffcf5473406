"""The suggestion panel shown in the ticket page's AI slot (``tickets/_ai_panel.html``)."""

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
