"""Celery tasks of the ai queue: thin, ids only, each run inside its tenant's context (``TenantTask``)."""

from __future__ import annotations

import contextlib

from celery import shared_task

from helpdesk.celery import TenantTask


@shared_task(base=TenantTask, name="ai.tasks.ticket_message")
def ticket_message(tenant_id: int, message_id: int) -> None:
    from ai.services import tickets

    tickets.ticket_message_process(tenant_id=tenant_id, message_id=message_id)


@shared_task(base=TenantTask, name="ai.tasks.chat_answer")
def chat_answer(tenant_id: int, conversation_id: int, message_id: int) -> None:
    """Answers the conversation's newest customer message (ai/chat_queue.py); ``message_id`` is the one that
    enqueued the task, used when a redelivered task finds the marker already taken."""
    from ai import chat_queue
    from ai.services import chat
    from tenants.models import Tenant

    newest = chat_queue.chat_message_take(tenant_id=tenant_id, conversation_id=conversation_id)
    message_id = newest or message_id
    chat.chat_answer(tenant=Tenant.objects.get(id=tenant_id), message_id=message_id)
    # The triage is a task of its own, so the answer commits and is broadcast without waiting for the labels; it is
    # enqueued here rather than by the web process, which would pay a second broker publish per chat message.
    chat_triage.delay(tenant_id, message_id)


@shared_task(base=TenantTask, name="ai.tasks.chat_triage")
def chat_triage(tenant_id: int, message_id: int) -> None:
    from ai.services import chat
    from tenants.models import Tenant

    chat.chat_message_triage(tenant=Tenant.objects.get(id=tenant_id), message_id=message_id)


@shared_task(base=TenantTask, name="ai.tasks.classifier_train")
def classifier_train(tenant_id: int) -> None:
    from ai.services import learning
    from tenants.models import Tenant

    # Too few labels is the normal state of a new tenant, not an error worth retrying.
    with contextlib.suppress(learning.NotEnoughLabels):
        learning.classifier_train(tenant=Tenant.objects.get(id=tenant_id), only_if_new_labels=True)


@shared_task(name="ai.tasks.classifier_train_all")
def classifier_train_all() -> None:
    """Beat: one training task per tenant (each runs in its own tenant's context)."""
    from tenants.models import Tenant

    for tenant_id in Tenant.objects.values_list("id", flat=True):
        classifier_train.delay(tenant_id)
