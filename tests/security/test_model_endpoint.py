"""Attacks through the bot's model endpoint. Signup is open, so a tenant admin is anyone on the internet: they point
the OpenAI-compatible endpoint at their own server to collect the operator's API key, or at the installation's own
network (loopback, private ranges, the cloud metadata service) to make the AI worker call it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from ai.answering import answer
from ai.models import AISettings
from ai.services.settings import answer_options, settings_get, settings_update
from helpdesk import outbound
from tenants.models import AuditEvent
from tenants.rls import tenant_context
from tests.ai import demo_corpus
from tests.stub_server import StubServer, chat_completion, stub_server

pytestmark = pytest.mark.django_db

OPERATOR_KEY = "sk-operator-secret-0000"
TENANT_KEY = "sk-tenant-own-key-1234"
QUESTION = "how much does express card delivery cost?"


@pytest.fixture
def attacker() -> Iterator[StubServer]:
    """The attacker's OpenAI-compatible server: records the headers of every request it receives."""
    with stub_server(chat_completion("Express delivery costs £5 [1].")) as server:
        yield server


@pytest.fixture
def operator(settings) -> Any:
    settings.AI_OPENAI_BASE_URL = "https://llm.operator.example/v1"
    settings.AI_OPENAI_API_KEY = OPERATOR_KEY
    return settings


def _dns(monkeypatch, table: dict[str, list[str]]) -> None:
    monkeypatch.setattr(outbound, "resolve", lambda host, port: table[host])


def _ask(tenant) -> Any:
    with tenant_context(tenant.id):
        options = answer_options(settings_get(tenant=tenant))
    return answer(text=QUESTION, history=[], search=demo_corpus.search, options=replace(options, confidence_floor=0.5))


def test_the_operators_key_never_reaches_a_tenants_endpoint(acme, operator, attacker, monkeypatch) -> None:
    # The attacker's server is public; here it listens on loopback, so the operator has allowed private
    # destinations for this test only: what is under test is which key travels, not where.
    operator.TENANT_DESTINATIONS_ALLOW_PRIVATE = True
    with tenant_context(acme.id):
        settings_update(tenant=acme, actor=None, backend="openai", model="stub",
                        endpoint_url=f"{attacker.url}/v1")
    _ask(acme)
    assert attacker.received, "the endpoint was not called"
    assert all(OPERATOR_KEY not in json.dumps(r.headers) for r in attacker.received)
    assert all("Authorization" not in r.headers for r in attacker.received)
    # With a key of its own, the tenant's endpoint gets that key, and only that.
    with tenant_context(acme.id):
        settings_update(tenant=acme, actor=None, api_key=TENANT_KEY)
    _ask(acme)
    assert attacker.received[-1].headers["Authorization"] == f"Bearer {TENANT_KEY}"


def test_the_operators_own_endpoint_gets_the_operators_key(acme, operator) -> None:
    with tenant_context(acme.id):
        settings_update(tenant=acme, actor=None, backend="openai", api_key=TENANT_KEY)
        options = answer_options(settings_get(tenant=acme))
    assert (options.endpoint_url, options.api_key, options.endpoint_public_only) == (
        "https://llm.operator.example/v1", OPERATOR_KEY, False)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/v1", "http://localhost:11434/v1", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.7/v1", "http://192.168.1.20:8080/v1", "http://[::1]:8080/v1", "http://[::ffff:127.0.0.1]/v1",
    "http://100.64.0.1/v1", "http://0.0.0.0:8000/v1", "http://[fe80::1]/v1", "http://224.0.0.1/v1",
    "http://internal.attacker.example/v1", "http://mixed.attacker.example/v1", "http://nxdomain.attacker.example/v1",
    "ftp://llm.example.com/v1", "file:///etc/passwd",
])
def test_an_endpoint_on_the_installations_own_network_is_refused(acme, operator, monkeypatch, url) -> None:
    table = {"localhost": ["127.0.0.1", "::1"], "internal.attacker.example": ["192.168.1.10"],
             "mixed.attacker.example": ["93.184.216.34", "10.1.2.3"]}
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise outbound.UnsafeDestination(f"{host} does not resolve")
        return table[host]

    monkeypatch.setattr(outbound, "resolve", resolve)
    with tenant_context(acme.id), pytest.raises(ValidationError) as error:
        settings_update(tenant=acme, actor=None, backend="openai", model="m", endpoint_url=url)
    assert "endpoint_url" in error.value.message_dict
    with tenant_context(acme.id):
        assert settings_get(tenant=acme).endpoint_url == ""


def test_the_settings_page_answers_an_internal_endpoint_with_a_field_error(client, alice, acme, operator) -> None:
    client.force_login(alice)
    response = client.post("/t/acme/ai/settings/", {
        "backend": "openai", "model": "m", "endpoint_url": "http://169.254.169.254/v1", "negative_threshold": "-0.4",
    })
    assert response.status_code == 400
    assert "not a public address" in str(response.context["form"].errors["endpoint_url"])


def test_a_name_that_turns_internal_after_saving_is_refused_at_call_time(acme, operator, attacker,
                                                                         monkeypatch) -> None:
    """DNS rebinding: the name resolved to a public address when saved, and to loopback when the worker calls."""
    table = {"localhost": ["93.184.216.34"]}
    _dns(monkeypatch, table)
    with tenant_context(acme.id):
        settings_update(tenant=acme, actor=None, backend="openai", model="stub",
                        endpoint_url=f"http://localhost:{attacker.port}/v1")
    table["localhost"] = ["127.0.0.1"]
    outcome = _ask(acme)
    assert outcome.reason == "backend_error" and outcome.text == ""
    assert attacker.received == []  # the worker never connected


def test_a_tenants_key_is_stored_encrypted_never_shown_and_never_audited(client, alice, acme, operator,
                                                                         monkeypatch) -> None:
    _dns(monkeypatch, {"llm.acme.example": ["93.184.216.34"]})
    client.force_login(alice)
    response = client.post("/t/acme/ai/settings/", {
        "backend": "openai", "model": "m", "endpoint_url": "https://llm.acme.example/v1", "negative_threshold": "-0.4",
        "api_key": TENANT_KEY,
    })
    assert response.status_code == 302
    with tenant_context(acme.id), connection.cursor() as cursor:  # the column as a database dump would show it
        cursor.execute("SELECT api_key_encrypted, api_key_hint FROM ai_aisettings WHERE tenant_id = %s", [acme.id])
        stored, hint = cursor.fetchone()
    assert TENANT_KEY not in stored and "sk-tenant" not in stored and hint == "…1234"
    page = client.get("/t/acme/ai/settings/").content.decode()
    assert TENANT_KEY not in page and "A key ending …1234 is stored" in page
    with tenant_context(acme.id):
        assert answer_options(settings_get(tenant=acme)).api_key == TENANT_KEY
        assert all(TENANT_KEY not in json.dumps(e.data) for e in AuditEvent.objects.for_tenant(acme))
    # Saving the form again without typing the key keeps it; ticking "remove" removes it.
    client.post("/t/acme/ai/settings/", {"backend": "openai", "model": "m", "negative_threshold": "-0.4",
                                         "endpoint_url": "https://llm.acme.example/v1"})
    with tenant_context(acme.id):
        assert AISettings.objects.for_tenant(acme).get().api_key_hint == "…1234"
    client.post("/t/acme/ai/settings/", {"backend": "openai", "model": "m", "negative_threshold": "-0.4",
                                         "endpoint_url": "https://llm.acme.example/v1", "clear_api_key": "on"})
    with tenant_context(acme.id):
        row = AISettings.objects.for_tenant(acme).get()
    assert (row.api_key_encrypted, row.api_key_hint) == ("", "")


@pytest.mark.parametrize("path", ["/etc/passwd", "/proc/self/environ", "../../../../root/.ssh", "/models/other"])
def test_a_tenant_cannot_point_the_local_backend_at_a_path_of_its_choosing(acme, settings, path) -> None:
    settings.AI_GENERATION_MODEL_PATH, settings.AI_LOCAL_MODELS = "/models/default.gguf", ["/models/qwen.gguf"]
    with tenant_context(acme.id), pytest.raises(ValidationError) as error:
        settings_update(tenant=acme, actor=None, backend="transformers", model=path)
    assert "model" in error.value.message_dict
    with tenant_context(acme.id):
        settings_update(tenant=acme, actor=None, backend="transformers", model="/models/qwen.gguf")  # offered
        # A path saved before the list existed is not loaded either: the operator's default is.
        AISettings.objects.for_tenant(acme).update(model=path)
        assert answer_options(settings_get(tenant=acme)).model == "/models/default.gguf"
