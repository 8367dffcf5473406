"""Webhook deliveries against a real local HTTP server: signed, logged, retried with backoff, idempotent."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from helpdesk.crypto import secret_decrypt
from tenants.rls import tenant_context
from tests.factories import WebhookFactory
from tickets import services
from tickets.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _receivers_on_loopback(settings):
    """The receivers here listen on loopback, standing in for public servers (tests/security covers the refusal)."""
    settings.TENANT_DESTINATIONS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    received: list[dict] = []
    statuses: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": dict(self.headers), "body": body})
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, statuses
    server.shutdown()


def _create_ticket(tenant):
    return services.ticket_create(tenant=tenant, subject="Hello", body="Hi", channel="api",
                                  requester_email="x@example.test")


def test_delivery_is_signed_and_logged(acme, receiver):
    url, received, _ = receiver
    hook = WebhookFactory(tenant=acme, url=url, events=["ticket.created"])
    with tenant_context(acme.id):
        _create_ticket(acme)
        delivery = WebhookDelivery.objects.get()
        services.webhook_deliver(tenant=acme, delivery_id=delivery.id)
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    [request] = received
    headers = {k.lower(): v for k, v in request["headers"].items()}
    signed = headers["x-helpdesk-timestamp"].encode() + b"." + request["body"]
    expected = hmac.new(secret_decrypt(hook.secret).encode(), signed, hashlib.sha256).hexdigest()
    assert headers["x-helpdesk-signature"] == f"sha256={expected}"
    assert json.loads(request["body"])["event"] == "ticket.created"
    with tenant_context(acme.id):  # a redelivered task does nothing
        assert services.webhook_deliver(tenant=acme, delivery_id=delivery.id) is None
    assert len(received) == 1


def test_failures_are_retried_with_backoff(acme, receiver, monkeypatch):
    from tickets import tasks

    url, received, statuses = receiver
    statuses.extend([500, 503])
    WebhookFactory(tenant=acme, url=url, events=["ticket.created"])
    with tenant_context(acme.id):
        _create_ticket(acme)
        delivery = WebhookDelivery.objects.get()
    scheduled: list[tuple[str, list[int], float]] = []
    monkeypatch.setattr(tasks, "task_schedule", lambda name, args, *, countdown: scheduled.append(
        (name, args, countdown)))
    for _ in range(3):
        tasks.webhook_deliver(acme.id, delivery.id)
    with tenant_context(acme.id):
        delivery.refresh_from_db()
    assert len(received) == 3
    assert scheduled == [(tasks.webhook_deliver.name, [acme.id, delivery.id], 10),
                         (tasks.webhook_deliver.name, [acme.id, delivery.id], 20)]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 3, 200)


@pytest.mark.django_db(transaction=True)
def test_the_receiver_is_called_outside_any_transaction(acme, monkeypatch):
    from django.db import connection

    from tickets import tasks

    WebhookFactory(tenant=acme, url="https://hooks.example.test/in", events=["ticket.created"])
    with tenant_context(acme.id):
        _create_ticket(acme)
        delivery = WebhookDelivery.objects.get()
    seen: list[bool] = []

    def post(delivery):
        seen.append(connection.in_atomic_block)
        return 200, ""

    monkeypatch.setattr(services.webhooks, "_post", post)
    tasks.webhook_deliver(acme.id, delivery.id)
    assert seen == [False]
    with tenant_context(acme.id):
        assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_receiver_that_answers_a_byte_at_a_time_meets_the_deadline(acme, monkeypatch, settings):
    import socket
    import threading
    import time

    settings.TENANT_DESTINATIONS_ALLOW_PRIVATE = True
    monkeypatch.setattr(services.webhooks, "DEADLINE_SECONDS", 1.0)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def drip() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
            if stop.is_set():
                break
            conn.sendall(bytes([byte]))
            time.sleep(0.2)
        conn.close()

    threading.Thread(target=drip, daemon=True).start()
    WebhookFactory(tenant=acme, url=f"http://127.0.0.1:{server.getsockname()[1]}/", events=["ticket.created"])
    with tenant_context(acme.id):
        _create_ticket(acme)
        delivery = WebhookDelivery.objects.get()
        started = time.monotonic()
        services.webhook_deliver(tenant=acme, delivery_id=delivery.id)
        delivery.refresh_from_db()
    stop.set()
    server.close()
    assert time.monotonic() - started < 3
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.RETRYING, "timed out")


def test_unreachable_url_ends_failed_after_max_attempts(acme):
    WebhookFactory(tenant=acme, url="http://127.0.0.1:9/nothing", events=["ticket.created"])
    with tenant_context(acme.id):
        _create_ticket(acme)
        delivery = WebhookDelivery.objects.get()
        for _ in range(services.webhooks.MAX_ATTEMPTS):
            services.webhook_deliver(tenant=acme, delivery_id=delivery.id)
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == services.webhooks.MAX_ATTEMPTS
    assert delivery.last_error == "ConnectError"


def test_only_subscribed_events_and_own_tenant(acme, globex):
    WebhookFactory(tenant=acme, events=["message.posted"])
    WebhookFactory(tenant=globex, events=["ticket.created"])
    with tenant_context(acme.id):
        _create_ticket(acme)
        assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["message.posted"]


def test_sla_beat_task_marks_breaches_per_tenant(acme, acme_sla, eager_tasks):
    from datetime import timedelta

    from django.utils import timezone

    from tickets import tasks
    from tickets.models import Ticket

    with tenant_context(acme.id):
        ticket = services.ticket_create(tenant=acme, subject="Urgent", body="Help", channel="web",
                                        requester_email="u@example.test", priority="urgent")
        Ticket.objects.filter(id=ticket.id).update(first_response_due_at=timezone.now() - timedelta(minutes=1))
    assert tasks.sla_check_all.apply().get() >= 1
    with tenant_context(acme.id):
        assert Ticket.objects.get(id=ticket.id).first_response_breached_at is not None
