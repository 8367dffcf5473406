"""Suggestions in the agent console: the pending one of a conversation, its JSON endpoint, and feedback on it."""

from __future__ import annotations

import pytest

from ai import selectors
from ai.models import Feedback, Suggestion
from ai.services.feedback import suggestion_feedback
from tenants.rls import tenant_context
from tests.factories import ConversationFactory, SuggestionFactory

pytestmark = pytest.mark.django_db


def _chat_suggestion(tenant, conversation, **fields):
    return SuggestionFactory(tenant=tenant, source="chat", ticket_id=None, conversation_id=conversation.id, **fields)


def test_the_latest_pending_suggestion_of_the_conversation_is_shown(acme, globex) -> None:
    conversation = ConversationFactory(tenant=acme)
    _chat_suggestion(acme, conversation, text="older")
    newer = _chat_suggestion(acme, conversation, text="newer")
    _chat_suggestion(globex, ConversationFactory(tenant=globex), text="globex secret")
    with tenant_context(acme.id):
        assert selectors.chat_suggestion_pending(tenant=acme, conversation_id=conversation.id) == newer


def test_nothing_is_shown_once_the_latest_was_dismissed(in_acme, bob) -> None:
    conversation = ConversationFactory(tenant=in_acme)
    _chat_suggestion(in_acme, conversation, text="older, for an earlier question")
    latest = _chat_suggestion(in_acme, conversation)
    suggestion_feedback(tenant=in_acme, suggestion=latest, user=bob, verdict="dismissed")
    assert selectors.chat_suggestion_pending(tenant=in_acme, conversation_id=conversation.id) is None


def test_a_sent_text_that_differs_from_the_inserted_suggestion_is_recorded_as_edited(in_acme, bob) -> None:
    suggestion = _chat_suggestion(in_acme, ConversationFactory(tenant=in_acme), text="Express delivery costs £5.")
    row = suggestion_feedback(tenant=in_acme, suggestion=suggestion, user=bob, verdict="inserted",
                              final_text="Express delivery costs £5. Anything else?")
    assert (row.kind, row.text, row.ticket_id) == ("edited", "Express delivery costs £5. Anything else?", None)
    assert Suggestion.objects.for_tenant(in_acme).get(id=suggestion.id).status == "edited"


def test_the_console_endpoint_returns_the_pending_suggestion_with_its_articles(client, bob, acme) -> None:
    conversation = ConversationFactory(tenant=acme)
    suggestion = _chat_suggestion(
        acme, conversation, text="Express delivery costs £5.",
        citations=[{"article_id": 1, "title": "Card delivery", "url": "/h/acme/articles/card/", "similarity": 0.8}],
        related=[{"article_id": 2, "title": "Order a card", "url": "/h/acme/articles/order/", "similarity": 0.5}])
    client.force_login(bob)
    data = client.get(f"/t/acme/ai/chat/{conversation.id}/suggestion/").json()["suggestion"]
    assert (data["id"], data["text"], data["conversation"]) == (suggestion.id, "Express delivery costs £5.",
                                                                conversation.id)
    assert data["citations"] == [{"title": "Card delivery", "url": "/h/acme/articles/card/"}]
    assert data["related"] == [{"title": "Order a card", "url": "/h/acme/articles/order/"}]
    assert data["feedback_url"] == f"/t/acme/ai/suggestions/{suggestion.id}/feedback/"


def test_a_conversation_without_a_pending_suggestion_returns_none(client, bob, acme) -> None:
    client.force_login(bob)
    conversation = ConversationFactory(tenant=acme)
    assert client.get(f"/t/acme/ai/chat/{conversation.id}/suggestion/").json() == {"suggestion": None}


def test_another_tenants_conversation_and_suggestion_are_404(client, bob, acme, globex) -> None:
    theirs = ConversationFactory(tenant=globex)
    their_suggestion = _chat_suggestion(globex, theirs)
    client.force_login(bob)
    assert client.get(f"/t/acme/ai/chat/{theirs.id}/suggestion/").status_code == 404
    assert client.get("/t/acme/ai/chat/999999/suggestion/").status_code == 404
    response = client.post(f"/t/acme/ai/suggestions/{their_suggestion.id}/feedback/", {"verdict": "dismissed"},
                           headers={"x-requested-with": "fetch"})
    assert response.status_code == 404
    with tenant_context(globex.id):
        assert Suggestion.objects.for_tenant(globex).get(id=their_suggestion.id).status == "pending"
        assert not Feedback.objects.for_tenant(globex).exists()


@pytest.mark.parametrize(("data", "field"), [({"verdict": "bogus"}, "verdict"), ({}, "verdict"),
                                             ({"verdict": "edited", "text": "x" * 8001}, "text")])
def test_bad_feedback_is_a_400_with_field_errors(client, bob, acme, data, field) -> None:
    suggestion = _chat_suggestion(acme, ConversationFactory(tenant=acme))
    client.force_login(bob)
    response = client.post(f"/t/acme/ai/suggestions/{suggestion.id}/feedback/", data,
                           headers={"x-requested-with": "fetch"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    with tenant_context(acme.id):
        assert not Feedback.objects.for_tenant(acme).exists()


def test_console_feedback_by_fetch_is_recorded_as_inserted(client, bob, acme) -> None:
    suggestion = _chat_suggestion(acme, ConversationFactory(tenant=acme), text="Express delivery costs £5.")
    client.force_login(bob)
    response = client.post(f"/t/acme/ai/suggestions/{suggestion.id}/feedback/",
                           {"verdict": "inserted", "text": "Express delivery costs £5."},
                           headers={"x-requested-with": "fetch"})
    assert response.status_code == 204
    with tenant_context(acme.id):
        assert Feedback.objects.for_tenant(acme).get(suggestion=suggestion).kind == "inserted"


def test_the_console_page_has_the_suggestion_panel(client, bob) -> None:
    client.force_login(bob)
    body = client.get("/t/acme/chat/").content.decode()
    assert 'id="chat-ai"' in body and "/t/acme/ai/chat/0/suggestion/" in body and "chat-suggestions.js" in body
