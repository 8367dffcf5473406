"""Every app's WebSocket routes, in one list. Paths start /ws/t/<slug>/ (agents) or /ws/c/<slug>/ (customers)."""

from __future__ import annotations

from typing import Any

from django.urls import re_path

from chat import consumers as chat_consumers
from tenants import consumers as tenant_consumers
from tickets import consumers as ticket_consumers

websocket_urlpatterns: list[Any] = [
    re_path(r"^ws/t/(?P<tenant_slug>[a-z0-9-]+)/events/$", tenant_consumers.AgentEventsConsumer.as_asgi()),
    re_path(r"^ws/t/(?P<tenant_slug>[a-z0-9-]+)/chat/$", chat_consumers.AgentChatConsumer.as_asgi()),
    re_path(r"^ws/c/(?P<tenant_slug>[a-z0-9-]+)/visitor/$", chat_consumers.VisitorConsumer.as_asgi()),
    re_path(
        r"^ws/t/(?P<tenant_slug>[a-z0-9-]+)/tickets/(?P<ticket_id>\d+)/$", ticket_consumers.TicketConsumer.as_asgi()
    ),
]
