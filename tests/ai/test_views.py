"""AI pages: wiring, permissions, field errors, and what the overview shows (never another tenant's rows)."""

from __future__ import annotations

import pytest

from ai.models import AISettings, Feedback, Suggestion
from tenants.rls import tenant_context
from tests.factories import ClassifierVersionFactory, SuggestionFactory, TeamFactory, TraceFactory

pytestmark = pytest.mark.django_db


def test_agents_cannot_open_the_ai_pages(client, bob) -> None:
    client.force_login(bob)
    assert client.get("/t/acme/ai/").status_code == 403
    assert client.get("/t/acme/ai/settings/").status_code == 403


def test_an_admin_saves_settings_with_routing_and_human_only_topics(client, alice, acme) -> None:
    from tests.factories import CategoryFactory

    CategoryFactory(tenant=acme, slug="cards", title="Cards")
    team = TeamFactory(tenant=acme, name="Card team")
    client.force_login(alice)
    assert client.get("/t/acme/ai/settings/").status_code == 200
    response = client.post("/t/acme/ai/settings/", {
        "auto_reply_chat": "on", "confidence_floor": "0.6", "backend": "extractive", "negative_threshold": "-0.5",
        "human_only_categories": ["cards"], "route_cards": str(team.id),
    })
    assert response.status_code == 302
    with tenant_context(acme.id):
        row = AISettings.objects.for_tenant(acme).get()
    assert (row.auto_reply_chat, row.auto_reply_email, row.confidence_floor) == (True, False, 0.6)
    assert row.human_only_categories == ["cards"] and row.routing_rules == {"cards": team.id}


@pytest.mark.parametrize(("field", "value"), [("confidence_floor", "1.5"), ("negative_threshold", "0.3"),
                                              ("backend", "magic"), ("confidence_floor", "abc")])
def test_bad_settings_are_field_errors(client, alice, acme, field, value) -> None:
    client.force_login(alice)
    data = {"confidence_floor": "0.5", "backend": "extractive", "negative_threshold": "-0.4", field: value}
    response = client.post("/t/acme/ai/settings/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]


def test_the_openai_backend_needs_an_endpoint(client, alice, settings) -> None:
    settings.AI_OPENAI_BASE_URL = ""
    client.force_login(alice)
    response = client.post("/t/acme/ai/settings/", {"confidence_floor": "0.5", "backend": "openai",
                                                    "negative_threshold": "-0.4"})
    assert response.status_code == 400
    assert response.context["form"].errors["endpoint_url"]


def test_the_overview_shows_metrics_gaps_and_the_confusion_chart_of_this_tenant_only(
        client, alice, acme, globex, django_assert_max_num_queries) -> None:
    TraceFactory(tenant=acme, input_text="do you sell mortgages", reason="low_confidence", decision="handoff",
                 conversation_id=1)
    TraceFactory(tenant=globex, input_text="globex secret question", reason="low_confidence", decision="handoff")
    ClassifierVersionFactory(tenant=acme, is_active=True, labels=["cards", "top-ups"], confusion=[[3, 1], [0, 4]],
                             per_class=[{"label": "cards", "precision": 1, "recall": 0.75, "f1": 0.86, "support": 4}])
    client.force_login(alice)
    with django_assert_max_num_queries(20):
        response = client.get("/t/acme/ai/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "do you sell mortgages" in body and "globex secret question" not in body
    assert "<svg" in body and "true cards, predicted top-ups: 1" in body
    assert 'id="handoff-rate">100 %' in body


def test_suggestion_feedback_is_recorded_and_another_tenants_suggestion_is_404(client, alice, acme, globex) -> None:
    mine = SuggestionFactory(tenant=acme)
    theirs = SuggestionFactory(tenant=globex)
    client.force_login(alice)
    response = client.post(f"/t/acme/ai/suggestions/{mine.id}/feedback/",
                           {"verdict": "inserted", "text": "Express delivery costs £5. Anything else?"})
    assert response.status_code == 302
    assert client.post(f"/t/acme/ai/suggestions/{theirs.id}/feedback/", {"verdict": "dismissed"}).status_code == 404
    assert client.post(f"/t/acme/ai/suggestions/{mine.id}/feedback/", {"verdict": "bogus"}).status_code == 400
    with tenant_context(acme.id):
        feedback = Feedback.objects.for_tenant(acme).get(suggestion=mine)
        assert Suggestion.objects.for_tenant(acme).get(id=mine.id).status == "edited"
    assert feedback.kind == "edited"  # inserted, then changed before sending


def test_the_ticket_page_shows_the_suggested_reply_with_its_articles(client, alice, acme) -> None:
    from tests.factories import TicketFactory

    ticket = TicketFactory(tenant=acme)
    SuggestionFactory(tenant=acme, ticket_id=ticket.id, text="Express delivery costs £5.",
                      citations=[{"article_id": 1, "title": "Card delivery", "url": "/h/acme/articles/card/"}],
                      related=[{"article_id": 2, "title": "Order a card", "url": "/h/acme/articles/order/"}])
    client.force_login(alice)
    body = client.get(f"/t/acme/tickets/{ticket.id}/").content.decode()
    assert "Suggested reply" in body and "Express delivery costs £5." in body
    assert "Card delivery" in body and "Order a card" in body
    assert "/ai/suggestions/" in body
