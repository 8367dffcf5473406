"""A request body that stops arriving gets an answer instead of holding its connection open for ever.

uvicorn (h11 and httptools alike) has no read timeout for a body: it waits for as many bytes as Content-Length
declares, and Django's ASGI handler reads the whole body before it routes the request. A client that declares a body
and never sends it would keep the connection, its coroutine and its buffer for as long as it liked. Between two
pieces of the body this waits at most REQUEST_BODY_TIMEOUT_S (a slow upload that keeps moving is fine), then answers
408 (JSON in the API's envelope under the API) and closes the connection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from helpdesk.api_errors import error_body, is_api_path

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DETAIL = "The request body did not arrive in time."


class BodyReadTimeout:
    def __init__(self, app: ASGIApp, *, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_read = False
        timed_out = False

        async def receive_body() -> Message:
            nonlocal body_read, timed_out
            if body_read:
                # After the body, the application waits on receive() for the client to go away for as long as the
                # response takes (Django does, to cancel the view): that wait is not the client's to answer.
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                body_read = timed_out = True
                await _answer_timeout(scope, send)
                # The application sees the client gone, as it would at a disconnect, and stops without answering.
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_read = True
            return message

        async def send_unless_answered(message: Message) -> None:
            if not timed_out:
                await send(message)

        await self.app(scope, receive_body, send_unless_answered)


async def _answer_timeout(scope: Scope, send: Send) -> None:
    if is_api_path(scope.get("path", "")):
        body, content_type = json.dumps(error_body(DETAIL)).encode(), b"application/json"
    else:
        body, content_type = DETAIL.encode(), b"text/plain; charset=utf-8"
    # "Connection: close": the rest of the body may still come, and it must not be read as the next request.
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 408, "headers": headers})
    await send({"type": "http.response.body", "body": body})
