"""WebSocket pushes: group names and publish-after-commit through the Channels layer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def group_name(tenant_id: int, *parts: str | int) -> str:
    """``t<tenant>.<part>.<part>``: every group is inside its tenant, so no socket can join another's."""
    suffix = ".".join(str(part) for part in parts)
    return f"t{int(tenant_id)}.{suffix}" if suffix else f"t{int(tenant_id)}"


MEMBER_REVOKED = "member.revoked"  # published to ("member", user id) when a member is removed: their sockets close


def member_group(tenant_id: int, user_id: int) -> str:
    """Every socket of one member in one tenant (helpdesk.sockets.JsonSocket.close_when_removed)."""
    return group_name(tenant_id, "member", user_id)


# Set by ``deferred_publishes``: publishes are collected here instead of sent.
_outbox: ContextVar[list[tuple[str, dict[str, Any]]] | None] = ContextVar("realtime_outbox", default=None)


@contextmanager
def deferred_publishes() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Collect the block's publishes as (group, message) instead of sending them.

    For sync work called from an async consumer: the consumer sends them itself on its event loop once the call
    has returned (and so committed), which saves a thread-to-loop round trip per message.
    """
    outbox: list[tuple[str, dict[str, Any]]] = []
    token = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(token)


def publish(tenant_id: int, parts: tuple[str | int, ...], event_type: str, payload: dict[str, Any]) -> None:
    outbox = _outbox.get()
    if outbox is not None:
        outbox.append((group_name(tenant_id, *parts), {"type": event_type, "payload": payload}))
        return
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(tenant_id, *parts), {"type": event_type, "payload": payload})


def publish_on_commit(tenant_id: int, parts: tuple[str | int, ...], event_type: str, payload: dict[str, Any]) -> None:
    """Persist first, broadcast after: a push never announces a row that a rollback took back."""
    transaction.on_commit(partial(publish, tenant_id, parts, event_type, payload))
