"""Webhooks as a probe of the installation's own network: a tenant admin subscribes an internal address and reads
what answered from the delivery log, or a name that turns internal after it was saved."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from helpdesk.crypto import secret_decrypt
from tenants.models import AuditEvent
from tenants.rls import tenant_context
from tests.factories import WebhookFactory
from tests.stub_server import Reply, StubServer, stub_server
from tickets import services
from tickets.models import DeliveryStatus, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

API = "/t/acme/api/v1"
INTERNAL_BODY = "redis_version:7.2.4 role:master SECRET-INTERNAL-DATA"


@pytest.fixture
def internal() -> Iterator[StubServer]:
    """An internal service: answers 500 with a body an attacker would like to read."""
    with stub_server(Reply(status=500, body=INTERNAL_BODY.encode())) as server:
        yield server


def _deliver_one(tenant) -> WebhookDelivery:
    with tenant_context(tenant.id):
        services.ticket_create(tenant=tenant, subject="Hi", body="Hello", channel="api",
                               requester_email="x@example.test")
        delivery = WebhookDelivery.objects.get()
        services.webhook_deliver(tenant=tenant, delivery_id=delivery.id)
        delivery.refresh_from_db()
    return delivery


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:6379/", "http://localhost:9200/_search", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/admin", "http://[::1]/", "http://internal.attacker.example/",
])
def test_a_webhook_to_an_internal_address_is_refused(admin, public_dns, url) -> None:
    public_dns.update({"localhost": ["127.0.0.1"], "internal.attacker.example": ["172.16.0.9"]})
    response = admin.post(f"{API}/webhooks/", {"url": url, "events": ["ticket.created"]}, format="json")
    assert response.status_code == 400 and "not a public address" in response.json()["errors"]["url"][0]


def test_a_name_that_turns_internal_after_saving_gets_no_delivery(acme, public_dns, internal) -> None:
    public_dns["hooks.attacker.example"] = ["93.184.216.34"]
    WebhookFactory(tenant=acme, url=f"http://hooks.attacker.example:{internal.port}/x", events=["ticket.created"])
    public_dns["hooks.attacker.example"] = ["127.0.0.1"]
    delivery = _deliver_one(acme)
    assert internal.received == []
    assert delivery.status == DeliveryStatus.RETRYING and delivery.last_error.startswith("refused:")


def test_the_delivery_log_never_shows_what_the_receiver_answered(acme, admin, settings, internal) -> None:
    settings.TENANT_DESTINATIONS_ALLOW_PRIVATE = True  # as if the service were reachable: what is logged?
    hook = WebhookFactory(tenant=acme, url=f"{internal.url}/", events=["ticket.created"])
    delivery = _deliver_one(acme)
    assert [r.path for r in internal.received] == ["/"]
    assert (delivery.last_status_code, delivery.last_error) == (500, "HTTP 500")
    log = admin.get(f"{API}/webhooks/{hook.id}/deliveries/").content.decode()
    assert "SECRET-INTERNAL-DATA" not in log and "redis_version" not in log


def test_a_redirect_is_not_followed(acme, settings, internal) -> None:
    settings.TENANT_DESTINATIONS_ALLOW_PRIVATE = True
    internal.reply = Reply(status=307, headers={"Location": f"{internal.url}/internal-only"})
    WebhookFactory(tenant=acme, url=f"{internal.url}/public", events=["ticket.created"])
    delivery = _deliver_one(acme)
    assert [r.path for r in internal.received] == ["/public"] and delivery.last_status_code == 307


def test_the_signing_secret_is_shown_once_stored_encrypted_and_changes_are_audited(acme, admin, public_dns) -> None:
    created = admin.post(f"{API}/webhooks/", {"url": "https://hooks.acme.example/in", "events": ["ticket.created"]},
                         format="json").json()
    secret = created["secret"]
    assert len(secret) == 64
    assert "secret" not in admin.get(f"{API}/webhooks/{created['id']}/").json()
    assert all("secret" not in h for h in admin.get(f"{API}/webhooks/").json())
    with tenant_context(acme.id), connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM tickets_webhook WHERE id = %s", [created["id"]])
        [stored] = cursor.fetchone()
    assert secret not in stored and secret_decrypt(stored) == secret
    assert admin.delete(f"{API}/webhooks/{created['id']}/").status_code == 204
    with tenant_context(acme.id):
        actions = list(AuditEvent.objects.for_tenant(acme).order_by("id").values_list("action", "actor__email"))
        assert not Webhook.objects.for_tenant(acme).exists()
    assert actions[-2:] == [("webhook.created", "alice@acme.test"), ("webhook.deleted", "alice@acme.test")]
