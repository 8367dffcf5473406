"""What both chat sockets share: frame parsing, error frames, tenant-scoped DB calls, exactly-once delivery."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext

from chat.models import ChatMessage
from chat.payloads import message_payload
from helpdesk.realtime import deferred_publishes
from helpdesk.sockets import JsonSocket
from tenants.models import Tenant
from tenants.rls import tenant_context

T = TypeVar("T")

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404  # no such tenant, not a member, or a token of another tenant: one answer for all
MAX_ACKED = 1000

Handler = Callable[[dict[str, Any]], Awaitable[None]]

# Chat DB calls spend most of their time waiting on PostgreSQL (a commit waits for the WAL flush), so two threads
# overlap one call's wait with another's work. More threads do not add throughput: they queue for the GIL ahead of
# the event loop, which then stalls every socket of the process (bench/chat_load.py on 2 cores held 200 msg/s with
# 16 threads, 250 with 4, 300 with 2, and 300 failed with 1). Each thread keeps its own persistent connection.
_DB_THREADS = ThreadPoolExecutor(max_workers=int(os.environ.get("CHAT_DB_THREADS", "2")),
                                 thread_name_prefix="chat-db")


class FrameError(Exception):
    def __init__(self, error: str, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.error, self.detail, self.errors = error, detail, errors or {}


_thread_state = threading.local()
CONNECTION_CHECK_S = 10.0


def _checked_call(fn: Callable[[], T], language: str) -> T:
    """Runs in a DB thread. Like channels' database_sync_to_async, but checks the thread's connection (age, health)
    at most every few seconds instead of on every call: a health-check query per chat message would be a third of
    its round trips."""
    now = time.monotonic()
    if now - getattr(_thread_state, "checked_at", 0.0) > CONNECTION_CHECK_S:
        close_old_connections()
        _thread_state.checked_at = now
    try:
        # asgiref keeps the active language per thread, so the copied context does not carry it: the services'
        # messages are worded in the socket's language only if it is activated here again.
        with translation.override(language):
            return fn()
    except (InterfaceError, OperationalError):
        connection.close()  # a dropped connection: the next call opens a new one
        _thread_state.checked_at = 0.0
        raise


async def in_db_thread(fn: Callable[[], T]) -> T:
    """``fn()`` in one of the chat's DB threads. A plain executor hand-off rather than asgiref's SyncToAsync: the
    calls need no thread affinity, and SyncToAsync's bookkeeping cost a measurable share of a message's CPU time."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_DB_THREADS, context.run, _checked_call, fn,
                                                            translation.get_language())


def _in_tenant(tenant_id: int, fn: Callable[[], T]) -> tuple[T, list[tuple[str, dict[str, Any]]]]:
    """Run ``fn`` in the tenant's transaction; its broadcasts come back to be sent once it has committed."""
    with deferred_publishes() as outbox, tenant_context(tenant_id):
        result = fn()
    return result, outbox


def _autocommit(fn: Callable[[], T]) -> tuple[T, list[tuple[str, dict[str, Any]]]]:
    """Run ``fn`` outside a transaction; its broadcasts (each sent after its own statement) come back to be sent."""
    with deferred_publishes() as outbox:
        result = fn()
    return result, outbox


def int_field(content: dict[str, Any], name: str, *, default: int | None = None) -> int:
    value = content.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FrameError("invalid", gettext("'%(name)s' must be a non-negative integer.") % {"name": name},
                         {name: [gettext("Give a number.")]})
    return value


def client_id_field(content: dict[str, Any]) -> str:
    """A posted message's own id, which makes its resend after a reconnect store nothing twice: required, since a
    message without one could be stored once per resend. Its length is checked by the posting service."""
    value = content.get("client_msg_id")
    if not isinstance(value, str) or not value:
        raise FrameError("invalid", gettext("Give each message a 'client_msg_id'."),
                         {"client_msg_id": [gettext("Required.")]})
    return value


def query_params(scope: dict[str, Any]) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return {key: values[-1] for key, values in parse_qs(raw).items()}


class ChatSocket(JsonSocket):
    max_frame_bytes = 16 * 1024
    tenant: Tenant
    handlers: dict[str, str] = {}

    def setup_delivery(self) -> None:
        self.groups_joined: set[str] = set()
        # Per conversation, the highest sequence number already sent from history: a live copy of it is dropped.
        self.history_max: dict[int, int] = {}
        # Ids of messages this socket posted and already got back in their ack: their broadcast copy is dropped.
        self.acked: set[int] = set()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """As channels' dispatch, without its close_old_connections() before every frame and group message: that
        hop to the process's single sync thread serialized all sockets. Our DB calls run in their own threads,
        which look after their connections (_ChatDatabaseCall)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def db(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run ``fn(**kwargs)`` in a worker thread, inside the tenant's RLS transaction.

        Not thread-sensitive: each call may use its own pooled connection, so one socket's database time does not
        queue behind every other socket's in the process.
        """
        return await self._announced(partial(_in_tenant, self.tenant.id, partial(fn, **kwargs)))

    async def db_statement(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run ``fn(**kwargs)`` in a worker thread outside a transaction: for the services that scope themselves
        to the tenant in a single statement (posting a message), which saves a transaction's five extra round
        trips on every chat message."""
        return await self._announced(partial(_autocommit, partial(fn, **kwargs)))

    async def _announced(self, call: Callable[[], tuple[T, list[tuple[str, dict[str, Any]]]]]) -> T:
        """``call()`` in a DB thread; then, committed, its broadcasts are sent from this event loop."""
        result, outbox = await in_db_thread(call)
        for group, message in outbox:
            await self.channel_layer.group_send(group, message)
        return result

    async def join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def leave(self, group: str) -> None:
        if group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined.discard(group)

    async def disconnect(self, code: int) -> None:
        for group in list(getattr(self, "groups_joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        # A socket has no request, so no language is active: each frame is handled in the socket's own, which
        # in_db_thread passes on to the DB threads.
        with translation.override(self.language()):
            await super().receive(text_data, bytes_data, **kwargs)

    async def error(self, error: str, detail: str, errors: dict[str, list[str]] | None = None,
                    ref: object = None) -> None:
        frame: dict[str, Any] = {"type": "error", "error": error, "detail": detail}
        if errors:
            frame["errors"] = errors
        if ref is not None:
            frame["ref"] = ref
        await self.send_json(frame)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Every bad frame gets an error frame and the socket stays open (JsonSocket checks the frame itself)."""
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.error("bad_frame", gettext("A frame is a JSON object with a 'type'."))
            return
        method = self.handlers.get(content["type"])
        if method is None:
            await self.error("unknown_frame",
                             gettext("Unknown frame type %(type)s.") % {"type": repr(content["type"][:40])})
            return
        ref = content.get("client_msg_id") if isinstance(content.get("client_msg_id"), str) else None
        try:
            await getattr(self, method)(content)
        except FrameError as exc:
            await self.error(exc.error, exc.detail, exc.errors, ref)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            await self.error("invalid", " ".join(m for ms in errors.values() for m in ms), errors, ref)
        except PermissionDenied as exc:
            await self.error("forbidden", str(exc) or gettext("Not allowed."), ref=ref)
        except Http404:
            await self.error("not_found", gettext("No such conversation."), ref=ref)

    async def ack(self, message: ChatMessage, *, author_name: str = "", **extra: Any) -> None:
        """The poster's answer carries the stored message itself, so the poster needs no broadcast copy of it: one
        frame fewer per message, and frame writes are the largest part of the server's work. Other tabs and the
        other side still get the broadcast. The copy comes later than this (a socket handles its group messages
        one at a time, after this frame's handler), so it is reliably recognised and dropped."""
        if len(self.acked) > MAX_ACKED:
            self.acked.clear()  # resends leave ids that get no copy; a copy let through is dropped by the client
        self.acked.add(message.id)
        payload = message_payload(message, tenant_slug=self.tenant.slug, author_name=author_name)
        await self.send_json({"type": "ack", "client_msg_id": message.client_msg_id, "id": message.id,
                              "seq": message.seq, **extra, "message": payload})

    async def ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def send_history(self, conversation_id: int, messages: list[dict[str, Any]]) -> None:
        for payload in messages:
            await self.send_json(payload)
        if messages:
            self.history_max[conversation_id] = max(self.history_max.get(conversation_id, 0), messages[-1]["seq"])

    async def chat_event(self, event: dict[str, Any]) -> None:
        """Group messages of type "chat.event". A message already sent from history is not sent twice.

        Consumers handle their frames and group messages one at a time, so a history read and the live stream
        cannot interleave: anything committed before the read is in it, anything after arrives live.
        """
        payload = event["payload"]
        if payload.get("type") == "message" and self._already_sent(payload):
            return
        await self.on_event(payload)

    def _already_sent(self, payload: dict[str, Any]) -> bool:
        if payload["id"] in self.acked:
            self.acked.discard(payload["id"])
            return True
        return bool(payload["seq"] <= self.history_max.get(payload["conversation"], 0))

    async def on_event(self, payload: dict[str, Any]) -> None:
        await self.send_json(payload)
