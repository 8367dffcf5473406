"""Live updates of one ticket for the agents who have it open: /ws/t/<slug>/tickets/<id>/."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext

from helpdesk.realtime import group_name
from helpdesk.sockets import JsonSocket
from tenants.models import Tenant
from tenants.rls import tenant_context

CLOSE_NOT_FOUND = 4404


def _ticket_exists(tenant: Tenant, user: Any, ticket_id: int) -> bool:
    from tickets.selectors import ticket_get

    with tenant_context(tenant.id):
        try:
            ticket_get(tenant=tenant, user=user, ticket_id=ticket_id)
        except Http404:
            return False
    return True


class TicketConsumer(JsonSocket):
    async def connect(self) -> None:
        tenant, membership = self.scope.get("tenant"), self.scope.get("membership")
        ticket_id = int(self.scope["url_route"]["kwargs"]["ticket_id"])
        if tenant is None or membership is None or not await database_sync_to_async(_ticket_exists)(
            tenant, self.scope.get("user"), ticket_id
        ):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = group_name(tenant.id, "ticket", ticket_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.close_when_removed(tenant.id, membership.user_id)
        await self.accept()
        await self.send_json({"type": "hello", "ticket_id": ticket_id})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        with translation.override(self.language()):
            await self.error("read_only", gettext("This socket only sends updates."))

    async def ticket_changed(self, event: dict[str, Any]) -> None:
        """Group messages of type "ticket.changed"."""
        await self.send_json(event["payload"])
