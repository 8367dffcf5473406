"""The agent's event socket: live notifications for the whole tenant (new chats, ticket changes, presence)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from helpdesk.realtime import group_name
from helpdesk.sockets import JsonSocket

# Close codes: 4401 not signed in, 4404 no such tenant or not a member (the same answer, as over HTTP).
CLOSE_NOT_FOUND = 4404


class AgentEventsConsumer(JsonSocket):
    async def connect(self) -> None:
        tenant, membership = self.scope.get("tenant"), self.scope.get("membership")
        if tenant is None or membership is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.groups_joined = [group_name(tenant.id, "agents"), group_name(tenant.id, "user", membership.user_id)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.close_when_removed(tenant.id, membership.user_id)
        await self.accept()
        await self.send_json({"type": "hello", "tenant": tenant.slug})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "ping":
            with translation.override(self.language()):
                await self.error("unknown_frame", gettext("Only 'ping' is accepted."))
            return
        await self.send_json({"type": "pong"})

    async def event(self, event: dict[str, Any]) -> None:
        """Group messages of type "event": forwarded as they are."""
        await self.send_json(event["payload"])
