"""WebSocket pushes: group names and publish-after-commit through the Channels layer."""

from __future__ import annotations

from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def group_name(tenant_id: int, *parts: str | int) -> str:
    """``t<tenant>.<part>.<part>``: every group is inside its tenant, so no socket can join another's."""
    suffix = ".".join(str(part) for part in parts)
    return f"t{int(tenant_id)}.{suffix}" if suffix else f"t{int(tenant_id)}"


def publish(tenant_id: int, parts: tuple[str | int, ...], event_type: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(tenant_id, *parts), {"type": event_type, "payload": payload})


def publish_on_commit(tenant_id: int, parts: tuple[str | int, ...], event_type: str, payload: dict[str, Any]) -> None:
    """Persist first, broadcast after: a push never announces a row that a rollback took back."""
    transaction.on_commit(partial(publish, tenant_id, parts, event_type, payload))
