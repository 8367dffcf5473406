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
    assert row.offer_articles is False  # an unticked box: hand off at once rather than offer articles
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


def test_the_settings_page_names_the_reader_and_the_embedding_model_with_an_empty_kb(client, alice, globex,
                                                                                       settings) -> None:
    from tests.factories import ChunkFactory

    settings.AI_EMBEDDING_MODEL = "multilingual-e5-small"
    ChunkFactory(tenant=globex, embedding_model="globex-private-model")
    client.force_login(alice)
    body = client.get("/t/acme/ai/settings/").content.decode()
    assert "What answers your customers" in body
    assert "Extractive reader (quotes whole sentences from your articles; runs on CPU)" in body
    assert "multilingual-e5-small" in body and "Multilingual (Chinese, English and ~100 more)" in body
    assert 'id="kb-empty"' in body and 'href="/t/acme/kb/"' in body
    assert "globex-private-model" not in body and 'id="indexed-models"' not in body


def test_the_settings_page_says_a_reindex_is_pending_when_chunks_of_another_model_exist(client, alice, acme,
                                                                                        settings) -> None:
    from tests.factories import ChunkFactory

    settings.AI_EMBEDDING_MODEL = "multilingual-e5-small"
    ChunkFactory.create_batch(2, tenant=acme, embedding_model="all-MiniLM-L6-v2")
    ChunkFactory(tenant=acme, embedding_model="multilingual-e5-small")
    client.force_login(alice)
    response = client.get("/t/acme/ai/settings/")
    body = response.content.decode()
    assert [(m.model, m.languages, m.chunks, m.configured) for m in response.context["embeddings"].indexed] == [
        ("all-MiniLM-L6-v2", "English", 2, False),
        ("multilingual-e5-small", "Multilingual (Chinese, English and ~100 more)", 1, True),
    ]
    assert 'id="reindex-pending"' in body and "kb_reembed" in body and 'id="kb-empty"' not in body


def test_the_settings_page_shows_only_the_host_of_an_openai_compatible_server(client, alice, acme,
                                                                              settings) -> None:
    from tests.factories import AISettingsFactory

    settings.AI_OPENAI_API_KEY = "sk-very-secret"
    AISettingsFactory(tenant=acme, backend="openai", model="qwen2.5-7b-instruct",
                      endpoint_url="https://user:hunter2@llm.acme.internal:8443/v1?token=abc")
    client.force_login(alice)
    body = client.get("/t/acme/ai/settings/").content.decode()
    panel = body[body.index('id="what-answers"'):body.index("</section>")]  # the form below edits the full URL
    assert "OpenAI-compatible server llm.acme.internal:8443 (model qwen2.5-7b-instruct)" in panel
    assert "hunter2" not in panel and "token=abc" not in panel
    assert "sk-very-secret" not in body


def test_the_settings_page_names_a_local_model_or_the_packaged_default(client, alice, acme, settings) -> None:
    from tests.factories import AISettingsFactory

    settings.AI_GENERATION_MODEL_PATH, settings.AI_LOCAL_MODELS = "", ["/models/qwen2.5-0.5b-instruct.gguf"]
    row = AISettingsFactory(tenant=acme, backend="transformers")
    client.force_login(alice)
    assert "Local model the packaged SmolLM2-135M-Instruct" in client.get("/t/acme/ai/settings/").content.decode()
    with tenant_context(acme.id):
        type(row).objects.for_tenant(acme).filter(id=row.id).update(model="/models/qwen2.5-0.5b-instruct.gguf")
    assert "Local model /models/qwen2.5-0.5b-instruct.gguf" in client.get("/t/acme/ai/settings/").content.decode()


def test_an_agent_still_gets_403_and_not_the_model_panel(client, bob) -> None:
    client.force_login(bob)
    response = client.get("/t/acme/ai/settings/")
    assert response.status_code == 403
    assert "What answers your customers" not in response.content.decode()
    assert client.get("/t/acme/ai/").status_code == 403


def test_the_overview_splits_the_figures_by_language_of_this_tenant_only(client, alice, acme, globex) -> None:
    for language, decision in [("en", "answer"), ("en", "handoff"), ("zh-cn", "answer"), ("zh-cn", "answer"),
                               ("zh-cn", "handoff")]:
        TraceFactory(tenant=acme, decision=decision, language=language, ticket_id=None, conversation_id=None)
    TraceFactory.create_batch(7, tenant=globex, decision="answer", language="en")
    TraceFactory(tenant=globex, decision="answer", language="fr")
    client.force_login(alice)
    response = client.get("/t/acme/ai/")
    body = response.content.decode()
    assert response.status_code == 200
    rows = {(row.code, row.name): (row.metrics.runs, row.metrics.answered, row.metrics.handed_off)
            for row in response.context["by_language"].rows}
    assert rows == {("zh", "Chinese (中文)"): (3, 2, 1), ("en", "English"): (2, 1, 1)}
    assert 'data-language="zh"><td>Chinese (中文)</td><td>3</td><td>2</td><td>1</td>' in body
    assert 'data-language="en"><td>English</td><td>2</td><td>1</td><td>1</td>' in body
    assert 'data-language="total"><td><strong>Total</strong></td><td>5</td><td>3</td><td>2</td>' in body
    assert 'data-language="fr"' not in body
