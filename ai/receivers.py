"""Domain events -> ai tasks. Receivers only enqueue.

The domain apps send their events from ``on_commit`` callbacks, so the rows are visible to the worker by the time
the task is enqueued; ``TenantTask`` derives from celery's plain ``Task`` (no ``delay_on_commit``).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ai import chat_queue, tasks
from chat import events as chat_events
from tickets import events as ticket_events


@receiver(ticket_events.message_posted, dispatch_uid="ai.ticket_message_posted")
def on_ticket_message(sender: Any, *, tenant_id: int, message_id: int, **kwargs: Any) -> None:
    tasks.ticket_message.delay(tenant_id, message_id)


@receiver(chat_events.customer_message_posted, dispatch_uid="ai.chat_customer_message_posted")
def on_chat_message(sender: Any, *, tenant_id: int, conversation_id: int, message_id: int, **kwargs: Any) -> None:
    if chat_queue.chat_message_mark(tenant_id=tenant_id, conversation_id=conversation_id, message_id=message_id):
        tasks.chat_answer.delay(tenant_id, conversation_id, message_id)  # which enqueues the triage after it
