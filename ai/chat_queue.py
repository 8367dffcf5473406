"""At most one queued answer task per chat conversation.

A customer who writes three lines in a row wants one answer to all of them, not three; and when the AI workers fall
behind, a queue of one task per message would grow with every message while each answer went stale. So the web
process records the conversation's newest unanswered message in Redis and enqueues a task only when none is queued
for the conversation; the task takes the newest id when it starts (its history holds the earlier lines). A message
that arrives after the take finds no marker and enqueues the next task, so nothing is left unanswered.
"""

from __future__ import annotations

from helpdesk.redis_client import client, make_key

# A marker outlives any sane queue delay; it only expires so that a task lost with its broker cannot block the
# conversation forever.
MARKER_TTL_S = 3600


def _key(tenant_id: int, conversation_id: int) -> str:
    return make_key(f"ai:chat:pending:{int(tenant_id)}:{int(conversation_id)}")


def chat_message_mark(*, tenant_id: int, conversation_id: int, message_id: int) -> bool:
    """Make ``message_id`` the conversation's newest unanswered message; True when no task is queued for it."""
    previous = client().set(_key(tenant_id, conversation_id), message_id, ex=MARKER_TTL_S, get=True)
    return previous is None


def chat_message_take(*, tenant_id: int, conversation_id: int) -> int | None:
    """The newest unanswered message, clearing the marker (the next message enqueues a new task); None when a
    task already took it (a redelivered task)."""
    value = client().getdel(_key(tenant_id, conversation_id))
    return int(value) if value is not None else None
