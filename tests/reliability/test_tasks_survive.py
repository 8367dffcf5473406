"""Tasks survive their worker, the database and the broker, done for real: a SIGKILLed AI worker's answer arrives
from its replacement; a PostgreSQL outage during an answer is retried; Redis restarted with a task queued keeps it.

Each test posts a customer's chat line, which queues the bot's answer (ai.tasks.chat_answer) through the real
broker, and waits for what the customer would see: an answer, articles, or a hand-off to a person."""

from __future__ import annotations

import signal

import pytest
from django.db import connections

from chat import services as chat_services
from chat.models import ChatMessage, Conversation, Sender, Status
from tenants.rls import tenant_context
from tests.ai.conftest import demo_kb  # noqa: F401  (fixture)
from tests.reliability.conftest import (
    VISIBILITY_TIMEOUT_S,
    broker,
    postgres_outage,
    redis_restart,
    wait_for,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _ask(tenant, text: str) -> Conversation:
    with tenant_context(tenant.id):
        conversation = chat_services.chat_start(tenant=tenant, name="Ann", email="ann@example.test").conversation
        chat_services.post_customer_message(tenant=tenant, conversation=conversation, text=text,
                                            client_msg_id="r-1")
    return conversation


def _bot_responded(tenant, conversation: Conversation) -> bool:
    """An answer or articles from the bot, or the conversation handed to a person: anything but silence."""
    connections.close_all()  # a test may have restarted the database under this process's connection
    with tenant_context(tenant.id):
        fresh = Conversation.objects.get(id=conversation.id)
        answered = ChatMessage.objects.filter(conversation=fresh, sender=Sender.BOT).exists()
        return answered or fresh.status == Status.WAITING


def test_a_killed_ai_workers_answer_comes_from_its_replacement(acme, demo_kb, start_worker) -> None:  # noqa: F811
    demo_kb(acme, "cards")
    conversation = _ask(acme, "How long does a new card take to arrive?")
    first = start_worker()
    # Taken, not yet answered: the worker is loading its models for its first answer.
    wait_for(lambda: broker().hlen("unacked"), 60, "the worker to take the task", every=0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert not _bot_responded(acme, conversation), "the worker answered before it was killed; nothing was tested"
    start_worker()
    wait_for(lambda: _bot_responded(acme, conversation), VISIBILITY_TIMEOUT_S + 90, "the replacement's answer")


@pytest.mark.restarts
def test_an_answer_interrupted_by_a_database_outage_is_retried(acme, demo_kb, start_worker) -> None:  # noqa: F811
    demo_kb(acme, "cards")
    start_worker()
    conversation = _ask(acme, "How long does a new card take to arrive?")
    wait_for(lambda: broker().hlen("unacked"), 60, "the worker to take the task", every=0.05)
    postgres_outage(seconds=3)
    wait_for(lambda: _bot_responded(acme, conversation), 120, "the retried answer")
    with tenant_context(acme.id):
        assert ChatMessage.objects.filter(conversation_id=conversation.id, sender=Sender.CUSTOMER).count() == 1


@pytest.mark.restarts
def test_a_task_queued_before_a_redis_restart_still_runs(acme, start_worker, restarted_redis) -> None:
    conversation = _ask(acme, "Can I talk to someone about my bill?")
    assert broker().llen("ai") == 1  # queued, no worker yet
    redis_restart(restarted_redis)
    assert broker().llen("ai") == 1, "the queue did not survive the restart"
    start_worker()
    wait_for(lambda: _bot_responded(acme, conversation), 120, "the queued answer")
