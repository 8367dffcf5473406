"""The base of the small JSON sockets (ticket updates, agent events): a frame that is not JSON gets an error frame.

channels' AsyncJsonWebsocketConsumer raises on such a frame, which closes the socket with an internal error.
"""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

MAX_FRAME_BYTES = 4 * 1024  # these sockets take nothing bigger than a ping


class JsonSocket(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    async def error(self, error: str, detail: str) -> None:
        await self.send_json({"type": "error", "error": error, "detail": detail})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None:
            await self.error("bad_frame", "Send JSON text frames.")
            return
        if len(text_data) > MAX_FRAME_BYTES:
            await self.error("too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.error("bad_json", "The frame is not valid JSON.")
            return
        await self.receive_json(content, **kwargs)
