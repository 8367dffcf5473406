"""Triage of chat messages on the real packaged models, and a ticket made from the chat carrying it."""

from __future__ import annotations

import pytest

from ai.models import Trace
from ai.services import settings as ai_settings
from ai.services.chat import chat_answer, chat_message_triage
from ai.services.tickets import ticket_message_process
from chat import services as chat_services
from chat.models import Conversation, Status
from tenants.models import Tenant, User
from tenants.rls import tenant_context
from tests.factories import TeamFactory
from tickets.models import AuthorType, Message, Ticket

pytestmark = pytest.mark.slow

ANGRY = "This is ridiculous, my card never arrived, worst service ever, I am furious!"


def _start(tenant: Tenant) -> Conversation:
    with tenant_context(tenant.id):
        return chat_services.chat_start(tenant=tenant, name="Ann", email="ann@example.test").conversation


def _say(tenant: Tenant, conversation: Conversation, text: str, n: int) -> Conversation:
    with tenant_context(tenant.id):
        message = chat_services.post_customer_message(tenant=tenant, conversation=conversation, text=text,
                                                      client_msg_id=f"m-{n}")
        chat_answer(tenant=tenant, message_id=message.id)
        chat_message_triage(tenant=tenant, message_id=message.id)
        return Conversation.objects.for_tenant(tenant).get(id=conversation.id)


def _to_ticket(tenant: Tenant, conversation: Conversation, agent: User) -> Ticket:
    """The agent closes the chat unresolved; the worker then triages the new ticket from its last customer message."""
    with tenant_context(tenant.id):
        closed = chat_services.close(tenant=tenant, conversation=conversation, actor=agent, resolved=False)
        last = (Message.objects.for_tenant(tenant).filter(ticket_id=closed.ticket_id,
                                                           author_type=AuthorType.CUSTOMER).order_by("-id").first())
        ticket_message_process(tenant_id=tenant.id, message_id=last.id)
        return Ticket.objects.for_tenant(tenant).get(id=closed.ticket_id)


def test_an_angry_customer_is_handed_off_by_the_policy_and_the_conversation_records_it(acme, demo_kb) -> None:
    demo_kb(acme, "cards")
    conversation = _say(acme, _start(acme), ANGRY, 1)
    assert (conversation.sentiment, conversation.language, conversation.category) == ("negative", "en", "cards")
    # The answering policy hands angry customers over; triage does not hand off a second time.
    assert (conversation.status, conversation.handoff_reason) == (Status.WAITING, "negative_sentiment")
    with tenant_context(acme.id):
        triage = Trace.objects.for_tenant(acme).filter(kind=Trace.Kind.TRIAGE, conversation_id=conversation.id)
        assert triage.count() == 1


def _angry_then_calm_chat(tenant: Tenant, agent: User) -> Conversation:
    """A calm opening (the ticket's subject), an angry middle, a calm end: only the chat knows about the anger."""
    conversation = _start(tenant)
    with tenant_context(tenant.id):
        chat_services.agent_take_over(tenant=tenant, conversation=conversation, agent=agent)
    _say(tenant, conversation, "Hello, I have a question about my card delivery.", 1)
    angry = _say(tenant, conversation, ANGRY, 2)
    assert (angry.sentiment, angry.category) == ("negative", "cards")
    return _say(tenant, conversation, "ok, thank you", 3)


def test_the_ticket_from_an_angry_chat_is_urgent_routed_and_labelled_like_the_chat(acme, bob, demo_kb) -> None:
    demo_kb(acme, "cards")
    team = TeamFactory(tenant=acme, name="Cards team")
    with tenant_context(acme.id):
        ai_settings.settings_update(tenant=acme, actor=None, routing_rules={"cards": team.id})
    conversation = _angry_then_calm_chat(acme, bob)
    assert conversation.sentiment != "negative" and conversation.sentiment_min <= -0.4
    ticket = _to_ticket(acme, conversation, bob)
    with tenant_context(acme.id):
        trace = Trace.objects.for_tenant(acme).get(kind=Trace.Kind.TRIAGE, ticket_id=ticket.id)
    assert trace.details["sentiment"] > -0.4  # the ticket's own text is calm: the urgency came from the chat
    assert ticket.priority == "urgent"
    assert (ticket.category, ticket.sentiment, ticket.language) == ("cards", conversation.sentiment, "en")
    assert ticket.team_id == team.id


def test_without_the_urgent_rule_the_ticket_from_an_angry_chat_keeps_its_priority(acme, bob, demo_kb) -> None:
    demo_kb(acme, "cards")
    with tenant_context(acme.id):
        ai_settings.settings_update(tenant=acme, actor=None, urgent_when_angry=False)
    ticket = _to_ticket(acme, _angry_then_calm_chat(acme, bob), bob)
    assert ticket.priority == "normal" and ticket.category == "cards"


@pytest.mark.parametrize(("text", "code"), [
    ("Meine Karte ist immer noch nicht angekommen. Was kann ich tun?", "de"),
    ("我的银行卡还没有收到，请问怎么办？", "zh"),
])
def test_the_customers_language_is_recorded_on_the_conversation(acme, demo_kb, text, code) -> None:
    demo_kb(acme, "cards")
    conversation = _say(acme, _start(acme), text, 1)
    assert conversation.language == code
    assert conversation.sentiment in ("negative", "neutral", "positive")


def test_the_category_is_recorded_while_the_bot_is_off_too(acme, demo_kb) -> None:
    demo_kb(acme, "cards")
    conversation = _start(acme)
    with tenant_context(acme.id):
        ai_settings.settings_update(tenant=acme, actor=None, auto_reply_chat=False)
    conversation = _say(acme, conversation, "How much does express card delivery cost?", 1)
    assert conversation.category == "cards"


def test_a_long_category_slug_is_recorded_on_the_conversation_and_its_trace(acme, demo_kb) -> None:
    # "payments-and-transfers" is longer than the trace's decision column once was: the task then failed and the
    # customer got no answer at all.
    demo_kb(acme, "payments-and-transfers")
    conversation = _start(acme)
    conversation = _say(acme, conversation, "How long does an international transfer take to arrive?", 1)
    assert conversation.category == "payments-and-transfers"
    with tenant_context(acme.id):
        trace = Trace.objects.for_tenant(acme).filter(conversation_id=conversation.id, kind=Trace.Kind.TRIAGE).get()
        assert trace.decision == "payments-and-transfers"
        assert Trace.objects.for_tenant(acme).filter(conversation_id=conversation.id,
                                                     kind=Trace.Kind.CHAT_ANSWER).exists()

