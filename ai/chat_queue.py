"""At most one queued answer task per chat conversation.

A customer who writes three lines in a row wants one answer to all of them, not three; and when the AI workers fall
behind, a queue of one task per message would grow with every message while each answer went stale. So the web
process records the conversation's newest unanswered message in Redis (the marker) and enqueues a task only when
none is queued for the conversation. The task answers the newest message (its history holds the earlier lines) and
clears the marker only if no newer line came meanwhile; if one did, it enqueues the next task for it.

The marker lives exactly as long as its task: a worker killed mid-answer leaves it set, and the task redelivered to
another worker (the broker's visibility timeout) answers and clears it; a task that finally fails clears it as it
hands the conversation to a person (ai.services.chat.chat_answer_failed). Its expiry is only a backstop for a task
lost with its broker, so that the next line of such a conversation enqueues again.
"""

from __future__ import annotations

from django.conf import settings

from helpdesk.redis_client import client, make_key

# Set on the first line (SET ... EX), kept as later lines overwrite the id (KEEPTTL): a backstop, not a lease.
_MARK = """
if redis.call('SET', KEYS[1], ARGV[1], 'XX', 'KEEPTTL') then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""
# Delete only the id the task answered: a newer line keeps the marker (and gets its own task).
_DONE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def marker_ttl_s() -> int:
    """Several redeliveries of a dead worker's task, so the backstop never fires while the task is still owed."""
    return 10 * int(settings.CELERY_VISIBILITY_TIMEOUT_S)


def _key(tenant_id: int, conversation_id: int) -> str:
    return make_key(f"ai:chat:pending:{int(tenant_id)}:{int(conversation_id)}")


def chat_message_mark(*, tenant_id: int, conversation_id: int, message_id: int) -> bool:
    """Make ``message_id`` the conversation's newest unanswered message; True when no task is queued for it."""
    created = client().eval(_MARK, 1, _key(tenant_id, conversation_id), int(message_id), marker_ttl_s())
    return bool(created)


def chat_message_newest(*, tenant_id: int, conversation_id: int) -> int | None:
    """The newest unanswered message; None when it has been answered (a task delivered twice)."""
    value = client().get(_key(tenant_id, conversation_id))
    return int(value) if value is not None else None


def chat_message_done(*, tenant_id: int, conversation_id: int, message_id: int) -> bool:
    """Clear the marker after ``message_id`` was answered; False when a newer line is waiting for an answer."""
    return bool(client().eval(_DONE, 1, _key(tenant_id, conversation_id), int(message_id)))


def chat_message_forget(*, tenant_id: int, conversation_id: int) -> None:
    """Clear the marker whatever it holds (the conversation was handed to a person after a failure)."""
    client().delete(_key(tenant_id, conversation_id))
