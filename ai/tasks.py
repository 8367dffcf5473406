"""Celery tasks of the ai queue: thin, ids only, each run inside its tenant's context (``TenantTask``)."""

from __future__ import annotations

import contextlib
from typing import Any

from celery import shared_task

from helpdesk.celery import TenantTask


@shared_task(base=TenantTask, name="ai.tasks.ticket_message")
def ticket_message(tenant_id: int, message_id: int) -> None:
    from ai.services import tickets

    tickets.ticket_message_process(tenant_id=tenant_id, message_id=message_id)


class ChatAnswerTask(TenantTask):
    """A chat answer that finally fails (retries spent, or an error no retry cures) hands the conversation to a
    person: the customer hears that someone is coming instead of waiting on a bot that will never answer."""

    abstract = True

    def failed_for_good(self, exc: BaseException, tenant_id: int, *args: Any) -> None:
        from ai.services import chat

        chat.chat_answer_failed(tenant_id=tenant_id, conversation_id=int(args[0]))


@shared_task(base=ChatAnswerTask, name="ai.tasks.chat_answer")
def chat_answer(tenant_id: int, conversation_id: int, message_id: int) -> None:
    """Answers the conversation's newest customer message (ai/chat_queue.py); ``message_id`` is the one that
    enqueued the task, answered when the marker is gone (a task delivered twice: the answer is then already there,
    and answering is once per message)."""
    from ai import chat_queue
    from ai.services import chat
    from tenants.models import Tenant

    newest = chat_queue.chat_message_newest(tenant_id=tenant_id, conversation_id=conversation_id) or message_id
    chat.chat_answer(tenant=Tenant.objects.get(id=tenant_id), message_id=newest)
    # The triage is a task of its own, so the answer commits and is broadcast without waiting for the labels; it is
    # enqueued here rather than by the web process, which would pay a second broker publish per chat message.
    chat_triage.delay(tenant_id, newest)
    if not chat_queue.chat_message_done(tenant_id=tenant_id, conversation_id=conversation_id, message_id=newest):
        # Lines came while this one was answered (they found the marker set and enqueued nothing).
        waiting = chat_queue.chat_message_newest(tenant_id=tenant_id, conversation_id=conversation_id)
        if waiting is not None:
            chat_answer.delay(tenant_id, conversation_id, waiting)


@shared_task(base=TenantTask, name="ai.tasks.chat_triage")
def chat_triage(tenant_id: int, message_id: int) -> None:
    from ai.services import chat
    from tenants.models import Tenant

    chat.chat_message_triage(tenant=Tenant.objects.get(id=tenant_id), message_id=message_id)


# Acknowledged at start: training can outlast the broker's visibility timeout, and a lost run is made up by the
# next nightly one (beat), where a redelivery would train twice at once.
@shared_task(base=TenantTask, name="ai.tasks.classifier_train", acks_late=False)
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
