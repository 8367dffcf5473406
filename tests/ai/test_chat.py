"""The bot in chat: cited answers, hand-offs with a summary, silence once an agent holds the conversation."""

from __future__ import annotations

import pytest

from ai.models import Suggestion, Trace
from ai.services.chat import chat_answer
from chat import services as chat_services
from chat.models import ChatMessage, Conversation, Sender, Status
from tenants.rls import tenant_context

pytestmark = pytest.mark.slow


def _say(tenant, conversation, text, n):
    with tenant_context(tenant.id):
        message = chat_services.post_customer_message(tenant=tenant, conversation=conversation, text=text,
                                                      client_msg_id=f"m-{n}")
        chat_answer(tenant=tenant, message_id=message.id)
        return Conversation.objects.for_tenant(tenant).get(id=conversation.id)


def _bot_messages(tenant, conversation):
    with tenant_context(tenant.id):
        return list(ChatMessage.objects.for_tenant(tenant).filter(conversation=conversation, sender=Sender.BOT)
                    .order_by("seq"))


def _start(tenant):
    with tenant_context(tenant.id):
        return chat_services.chat_start(tenant=tenant, name="Ann", email="ann@example.test").conversation


def test_the_bot_answers_with_citations_and_understands_a_follow_up(acme, demo_kb) -> None:
    demo_kb(acme, "cards", floor=0.5)
    conversation = _start(acme)
    conversation = _say(acme, conversation, "How much does express card delivery cost?", 1)
    [reply] = _bot_messages(acme, conversation)
    assert "£5" in reply.text
    assert reply.meta["citations"][0]["title"] == "How long does card delivery take?"
    conversation = _say(acme, conversation, "How do I order a replacement card?", 2)
    conversation = _say(acme, conversation, "and how long does that take?", 3)
    assert conversation.status == Status.BOT
    with tenant_context(acme.id):
        trace = Trace.objects.for_tenant(acme).filter(kind=Trace.Kind.CHAT_ANSWER).order_by("-id").first()
    assert "replacement card" in trace.query


def test_an_unanswerable_question_hands_off_with_a_summary_and_sources(acme, demo_kb) -> None:
    demo_kb(acme, "cards", offer_articles=False)
    conversation = _say(acme, _start(acme), "What are your mortgage rates for a 5 year fix?", 1)
    assert conversation.status == Status.WAITING
    assert conversation.handoff_reason == "low_confidence"
    assert "mortgage" in conversation.handoff_summary and conversation.handoff_sources
    assert _bot_messages(acme, conversation) == []


def test_when_unsure_the_bot_offers_articles_and_the_conversation_stays_with_it(acme, demo_kb) -> None:
    """Default settings: a question the cards articles do not answer gets up to three of them, not an answer;
    the conversation stays with the bot, whose page keeps "Talk to a person" beside them."""
    demo_kb(acme, "cards")
    conversation = _say(acme, _start(acme), "What are your mortgage rates for a 5 year fix?", 1)
    [offer] = _bot_messages(acme, conversation)
    assert offer.text == "These articles may help:"
    assert 1 <= len(offer.meta["citations"]) <= 3
    assert conversation.status == Status.BOT


def test_asking_for_a_person_always_hands_off(acme, demo_kb) -> None:
    demo_kb(acme, "cards")
    conversation = _say(acme, _start(acme), "I want to talk to a person", 1)
    assert (conversation.status, conversation.handoff_reason) == (Status.WAITING, "asked_for_human")


def test_the_bot_stays_silent_after_an_agent_takes_over(acme, bob, demo_kb) -> None:
    demo_kb(acme, "cards")
    conversation = _start(acme)
    with tenant_context(acme.id):
        chat_services.agent_take_over(tenant=acme, conversation=conversation, agent=bob)
    conversation = _say(acme, conversation, "How much does express card delivery cost?", 1)
    assert conversation.status == Status.AGENT
    assert _bot_messages(acme, conversation) == []
    with tenant_context(acme.id):
        # The agent gets the answer as a suggestion in the console instead.
        suggestion = Suggestion.objects.for_tenant(acme).get(conversation_id=conversation.id)
    assert "£5" in suggestion.text and suggestion.citations


def test_resolution_counts_only_bot_answers_without_a_human_request_or_bad_rating(acme, demo_kb) -> None:
    from ai.metrics import answer_metrics

    demo_kb(acme, "cards", floor=0.5)
    resolved = _say(acme, _start(acme), "How much does express card delivery cost?", 1)
    escalated = _say(acme, _start(acme), "How much does express card delivery cost?", 2)
    escalated = _say(acme, escalated, "I want to talk to a person", 3)
    rated_badly = _say(acme, _start(acme), "How much does express card delivery cost?", 4)
    with tenant_context(acme.id):
        Conversation.objects.for_tenant(acme).filter(id=rated_badly.id).update(csat_score=1)
        metrics = answer_metrics(tenant=acme)
    assert resolved.status == Status.BOT and escalated.status == Status.WAITING
    assert (metrics.answered, metrics.handed_off, metrics.resolved) == (3, 1, 1)
    assert metrics.resolution_rate == pytest.approx(1 / 3)
    assert metrics.latency_p50_ms is not None
