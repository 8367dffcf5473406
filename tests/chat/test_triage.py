"""Triage labels on a conversation (written by the AI through chat's service) and agent-only pushes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from chat import selectors, services
from chat.models import Conversation
from tenants.rls import tenant_context
from tests.factories import ConversationFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_the_latest_message_sets_mood_and_language_the_first_category_stays_and_the_lowest_score_is_kept(
        in_acme) -> None:
    conversation = ConversationFactory(tenant=in_acme)
    services.conversation_set_triage(tenant=in_acme, conversation=conversation, sentiment="negative",
                                     sentiment_score=-0.8, language="en", category="cards")
    fresh = services.conversation_set_triage(tenant=in_acme, conversation=conversation, sentiment="neutral",
                                             sentiment_score=0.1, language="de", category="top-ups")
    assert (fresh.sentiment, fresh.sentiment_score, fresh.sentiment_min) == ("neutral", 0.1, -0.8)
    assert (fresh.language, fresh.category) == ("de", "cards")


def test_an_unknown_language_keeps_the_previous_one(in_acme) -> None:
    conversation = ConversationFactory(tenant=in_acme, language="zh")
    fresh = services.conversation_set_triage(tenant=in_acme, conversation=conversation, sentiment="neutral",
                                             sentiment_score=0.0, language="")
    assert fresh.language == "zh" and fresh.sentiment_min == 0.0


@pytest.mark.parametrize(("sentiment", "score", "field"), [("furious", -0.5, "sentiment"),
                                                           ("negative", -3.0, "sentiment_score")])
def test_bad_labels_are_field_errors(in_acme, sentiment, score, field) -> None:
    conversation = ConversationFactory(tenant=in_acme)
    with pytest.raises(ValidationError) as exc:
        services.conversation_set_triage(tenant=in_acme, conversation=conversation, sentiment=sentiment,
                                         sentiment_score=score)
    assert field in exc.value.message_dict


def test_another_tenants_conversation_is_not_labelled(acme, globex) -> None:
    theirs = ConversationFactory(tenant=globex)
    with tenant_context(acme.id), pytest.raises(ValidationError):
        services.conversation_set_triage(tenant=acme, conversation=theirs, sentiment="negative", sentiment_score=-1)
    with tenant_context(globex.id):
        assert Conversation.objects.for_tenant(globex).get(id=theirs.id).sentiment == ""


def test_only_staff_frame_types_may_be_pushed(in_acme) -> None:
    conversation = ConversationFactory(tenant=in_acme)
    with pytest.raises(ValueError, match="not a staff frame"):
        services.conversation_staff_push(tenant=in_acme, conversation=conversation, payload={"type": "message"})


def test_the_conversation_of_a_ticket_is_found_in_the_tenant_only(acme, globex) -> None:
    ticket = TicketFactory(tenant=acme)
    mine = ConversationFactory(tenant=acme, ticket=ticket)
    their_ticket = TicketFactory(tenant=globex)
    ConversationFactory(tenant=globex, ticket=their_ticket)
    with tenant_context(acme.id):
        assert selectors.conversation_of_ticket(tenant=acme, ticket_id=ticket.id) == mine
        assert selectors.conversation_of_ticket(tenant=acme, ticket_id=their_ticket.id) is None
