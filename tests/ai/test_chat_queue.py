"""One queued answer task per conversation: lines written in a row get one answer, and none is left unanswered."""

from __future__ import annotations

from typing import Any

import pytest

from ai import chat_queue, tasks
from ai.models import Trace
from ai.services.chat import chat_answer
from chat import services as chat_services
from chat.models import ChatMessage, Sender
from tenants.rls import tenant_context


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The tasks the web process would enqueue (the broker is not what these tests are about)."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.chat_answer, "delay", lambda *args: calls.append(args))
    return calls


def _post(tenant, conversation, text: str, n: int) -> ChatMessage:
    with tenant_context(tenant.id):
        return chat_services.post_customer_message(tenant=tenant, conversation=conversation, text=text,
                                                   client_msg_id=f"q-{n}")


def _start(tenant):
    with tenant_context(tenant.id):
        return chat_services.chat_start(tenant=tenant, name="Ann", email="ann@example.test").conversation


@pytest.mark.django_db(transaction=True)
def test_lines_written_in_a_row_enqueue_one_task_for_the_newest(acme, queued, monkeypatch) -> None:
    conversation = _start(acme)
    first = _post(acme, conversation, "Hi", 1)
    _post(acme, conversation, "my card", 2)
    newest = _post(acme, conversation, "has not arrived", 3)
    assert queued == [(acme.id, conversation.id, first.id)]

    answered: list[int] = []
    monkeypatch.setattr("ai.services.chat.chat_answer", lambda *, tenant, message_id: answered.append(message_id))
    monkeypatch.setattr(tasks.chat_triage, "delay", lambda *args: None)
    tasks.chat_answer.apply(args=queued[0])
    assert answered == [newest.id]  # the newest line, with the others in its history

    # Done: the next line enqueues the next task, and a second delivery of the first task answers its own message
    # (answering is once per message, so that changes nothing).
    later = _post(acme, conversation, "still nothing", 4)
    assert queued[-1] == (acme.id, conversation.id, later.id)
    tasks.chat_answer.apply(args=queued[0])
    assert answered == [newest.id, later.id]


@pytest.mark.django_db(transaction=True)
def test_a_line_written_while_the_answer_is_made_gets_the_next_task(acme, queued, monkeypatch) -> None:
    conversation = _start(acme)
    first = _post(acme, conversation, "Hi", 1)
    answered: list[int] = []

    def answer(*, tenant, message_id: int) -> None:
        answered.append(message_id)
        if len(answered) == 1:
            _post(acme, conversation, "are you there?", 2)  # finds the marker set: enqueues nothing itself

    monkeypatch.setattr("ai.services.chat.chat_answer", answer)
    monkeypatch.setattr(tasks.chat_triage, "delay", lambda *args: None)
    tasks.chat_answer.apply(args=queued[0])
    assert answered == [first.id]
    [_, follow_up] = queued
    assert follow_up[2] != first.id
    tasks.chat_answer.apply(args=follow_up)
    assert answered == [first.id, follow_up[2]]
    assert chat_queue.chat_message_newest(tenant_id=acme.id, conversation_id=conversation.id) is None


@pytest.mark.django_db(transaction=True)
def test_a_task_killed_mid_answer_leaves_the_marker_for_its_redelivery(acme, queued, monkeypatch) -> None:
    conversation = _start(acme)
    first = _post(acme, conversation, "Hi", 1)

    def crash(*, tenant, message_id: int) -> None:
        raise SystemExit("worker killed")  # what SIGKILL looks like from the marker's side: the task never ends

    monkeypatch.setattr("ai.services.chat.chat_answer", crash)
    with pytest.raises(SystemExit):
        tasks.chat_answer.run(*queued[0])
    assert chat_queue.chat_message_newest(tenant_id=acme.id, conversation_id=conversation.id) == first.id
    _post(acme, conversation, "hello?", 2)
    assert len(queued) == 1  # the redelivered task will answer it; no second task meanwhile


@pytest.mark.django_db(transaction=True)
def test_a_task_that_fails_for_good_hands_the_customer_to_a_person(acme, queued, monkeypatch) -> None:
    from chat.models import Conversation, Status

    conversation = _start(acme)
    _post(acme, conversation, "Where is my parcel?", 1)

    def broken(*, tenant, message_id: int) -> None:
        raise RuntimeError("model file is corrupt")

    monkeypatch.setattr("ai.services.chat.chat_answer", broken)
    result = tasks.chat_answer.apply(args=queued[0])
    assert result.failed()
    with tenant_context(acme.id):
        conversation = Conversation.objects.get(id=conversation.id)
        assert conversation.status == Status.WAITING and conversation.handoff_reason == "bot error"
        assert ChatMessage.objects.filter(conversation=conversation, sender=Sender.SYSTEM, internal=False).exists()
    assert chat_queue.chat_message_newest(tenant_id=acme.id, conversation_id=conversation.id) is None
    _post(acme, conversation, "hello?", 2)
    assert len(queued) == 2  # the next line is queued again


@pytest.mark.django_db(transaction=True)
def test_conversations_and_tenants_queue_separately(acme, globex, queued) -> None:
    one, two, other = _start(acme), _start(acme), _start(globex)
    _post(acme, one, "a", 1)
    _post(acme, two, "b", 2)
    _post(globex, other, "c", 3)
    assert [call[:2] for call in queued] == [(acme.id, one.id), (acme.id, two.id), (globex.id, other.id)]


def test_the_marker_clears_only_for_the_newest_line() -> None:
    key = {"tenant_id": 1, "conversation_id": 987654}
    assert chat_queue.chat_message_mark(**key, message_id=5) is True
    assert chat_queue.chat_message_mark(**key, message_id=6) is False
    assert chat_queue.chat_message_newest(**key) == 6
    assert chat_queue.chat_message_done(**key, message_id=5) is False
    assert chat_queue.chat_message_done(**key, message_id=6) is True
    assert chat_queue.chat_message_newest(**key) is None
    assert chat_queue.chat_message_mark(**key, message_id=7) is True
    chat_queue.chat_message_forget(**key)


def test_the_marker_expires_only_as_a_backstop() -> None:
    from helpdesk.redis_client import client

    key = {"tenant_id": 1, "conversation_id": 987655}
    chat_queue.chat_message_mark(**key, message_id=1)
    ttl = client().ttl(chat_queue._key(1, 987655))
    chat_queue.chat_message_mark(**key, message_id=2)  # a later line keeps the first line's deadline
    assert 0 < client().ttl(chat_queue._key(1, 987655)) <= ttl == chat_queue.marker_ttl_s()
    chat_queue.chat_message_forget(**key)


@pytest.mark.slow
def test_a_message_is_answered_once_even_when_its_task_runs_twice(acme, demo_kb) -> None:
    demo_kb(acme, "cards")
    conversation = _start(acme)
    message = _post(acme, conversation, "How long does card delivery take?", 1)
    with tenant_context(acme.id):
        assert chat_answer(tenant=acme, message_id=message.id) is not None
        assert chat_answer(tenant=acme, message_id=message.id) is None
        assert ChatMessage.objects.for_tenant(acme).filter(conversation=conversation, sender=Sender.BOT).count() == 1
        assert Trace.objects.for_tenant(acme).filter(kind=Trace.Kind.CHAT_ANSWER).count() == 1
