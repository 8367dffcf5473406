"""Where chat events go. Every push is scheduled on commit: nothing is announced that was not persisted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.realtime import group_name, publish_on_commit

EVENT = "chat.event"  # handled by the consumers' chat_event


def conversation_group(tenant_id: int, conversation_id: int, *, staff: bool = False) -> str:
    """Customers and watching agents share the public group; notes go to the staff group only."""
    parts: tuple[str | int, ...] = ("chat", conversation_id, "staff") if staff else ("chat", conversation_id)
    return group_name(tenant_id, *parts)


def lobby_group(tenant_id: int) -> str:
    return group_name(tenant_id, "chat", "lobby")


def agent_group(tenant_id: int, user_id: int) -> str:
    return group_name(tenant_id, "chat", "agent", user_id)


def to_conversation(tenant_id: int, conversation_id: int, payload: Mapping[str, Any], *, staff: bool = False) -> None:
    parts: tuple[str | int, ...] = ("chat", conversation_id, "staff") if staff else ("chat", conversation_id)
    publish_on_commit(tenant_id, parts, EVENT, dict(payload))


def to_lobby(tenant_id: int, payload: Mapping[str, Any]) -> None:
    publish_on_commit(tenant_id, ("chat", "lobby"), EVENT, dict(payload))


def to_agent(tenant_id: int, user_id: int, payload: Mapping[str, Any]) -> None:
    publish_on_commit(tenant_id, ("chat", "agent", user_id), EVENT, dict(payload))
