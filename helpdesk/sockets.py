"""The base of every JSON WebSocket of the project: a frame that cannot be a message gets an error frame, and the
socket stays open.

channels' AsyncJsonWebsocketConsumer raises on a frame that is not JSON, which closes the socket with an internal
error; and a decoded NUL or lone surrogate would fail later, at the database.
"""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext

from helpdesk.realtime import member_group
from helpdesk.text import has_lone_surrogate, has_nul

CLOSE_REVOKED = 4403  # the member was removed from the tenant while the socket was open


def origin_allowed(scope: dict[str, Any], allowed: list[str]) -> bool:
    """Browsers always send Origin: a page of the same host, or one of the ``allowed`` origins, may open the socket.
    No Origin: not a browser (an app or a test client), which other credentials must authenticate."""
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1").rstrip("/").lower()
    if not origin:
        return True
    host = headers.get(b"host", b"").decode("latin-1").lower()
    return origin.split("://", 1)[-1] == host or origin in allowed


class JsonSocket(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    max_frame_bytes = 4 * 1024  # a subclass that takes messages raises it
    revocable_group = ""

    async def close_when_removed(self, tenant_id: int, user_id: int) -> None:
        """An agent's socket: closes when the member is removed (a "member.revoked" message to its group)."""
        self.revocable_group = member_group(tenant_id, user_id)
        await self.channel_layer.group_add(self.revocable_group, self.channel_name)

    async def member_revoked(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_REVOKED)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        if self.revocable_group:
            await self.channel_layer.group_discard(self.revocable_group, self.channel_name)
        await super().websocket_disconnect(message)

    async def error(self, error: str, detail: str) -> None:
        await self.send_json({"type": "error", "error": error, "detail": detail})

    def language(self) -> str:
        """The language of the frames a member's socket sends: their profile's, else their tenant's (a
        customer's socket speaks the tenant's: chat.consumers.visitor)."""
        user, tenant = self.scope.get("user"), self.scope.get("tenant")
        return str(getattr(user, "language", "") or getattr(tenant, "language", "") or settings.LANGUAGE_CODE)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None:
            await self.error("bad_frame", gettext("Send JSON text frames."))
            return
        if len(text_data.encode()) > self.max_frame_bytes:
            await self.error("too_large", gettext("Frames are limited to %(limit)s bytes.")
                             % {"limit": self.max_frame_bytes})
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # nesting deeper than the parser's stack is not a frame either
            await self.error("bad_json", gettext("The frame is not valid JSON."))
            return
        # The cheap test first: NUL and lone surrogates only arrive escaped, and browsers escape nothing else.
        if "\\u" in text_data and (has_nul(content) or has_lone_surrogate(content)):
            await self.error("bad_frame", gettext("Text may not contain NUL characters or lone surrogates."))
            return
        await self.receive_json(content, **kwargs)
