"""The tenant's IMAP server: a man in the middle with any certificate reads the mailbox password (Python's imaplib
verifies nothing by default), a server that never answers or drips its answer holds a worker, an internal host is a
network probe. The password itself is a secret a tenant gives us: stored encrypted, never shown back, and only an
admin sets it."""

from __future__ import annotations

import importlib
import json
import ssl
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from helpdesk.crypto import secret_decrypt, secret_encrypt
from helpdesk.outbound import UnsafeDestination
from tenants.models import AuditEvent, Tenant
from tenants.rls import tenant_context
from tests.helpers import FakeImapServer
from tests.tickets.conftest import mime

pytestmark = pytest.mark.django_db

PAGE = "/t/acme/tickets/setup/email/"
SAVE = "/t/acme/tickets/setup/email/mailbox/"
REMOVE = "/t/acme/tickets/setup/email/mailbox/remove/"
PASSWORD = "correct-horse-battery-9876"
MAILBOX = {"host": "imap.acme.example", "port": "993", "user": "support@acme.example", "password": PASSWORD,
           "folder": "INBOX"}


@pytest.fixture
def admin(client, alice):
    client.force_login(alice)
    return client


def _stored_settings(tenant) -> dict:
    """The settings column as a database dump would show it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT settings::text FROM tenants_tenant WHERE id = %s", [tenant.id])
        [text] = cursor.fetchone()
    return json.loads(text)


def test_the_mail_server_certificate_is_verified_and_the_connection_times_out(acme, monkeypatch, public_dns) -> None:
    from tickets.mail import imap

    server = FakeImapServer({}).install(monkeypatch)
    acme.settings = {"imap_host": "imap.example.test", "imap_user": "support",
                     "imap_password_encrypted": secret_encrypt("pw")}
    with tenant_context(acme.id):
        imap.poll_mailbox(tenant=acme)
    [opened] = server.opened
    context = opened["ssl_context"]
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert opened["timeout"] and opened["timeout"] <= 60


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "mail.internal.example"])
def test_an_internal_mail_host_is_refused(acme, monkeypatch, public_dns, host) -> None:
    from tickets.mail import imap

    public_dns.update({"localhost": ["127.0.0.1"], "mail.internal.example": ["10.20.30.40"]})
    server = FakeImapServer({}).install(monkeypatch)
    acme.settings = {"imap_host": host, "imap_user": "support", "imap_password_encrypted": secret_encrypt("pw")}
    with tenant_context(acme.id), pytest.raises(UnsafeDestination):
        imap.poll_mailbox(tenant=acme)
    assert server.opened == []


def test_a_dripping_server_meets_the_polls_deadline(acme, monkeypatch, public_dns, caplog) -> None:
    from tickets import tasks
    from tickets.mail import imap

    now = [1000.0]

    def slow_fetch(number: str) -> None:
        now[0] += 25  # each message takes 25 s to arrive, each read within the socket timeout

    monkeypatch.setattr(imap, "time", SimpleNamespace(monotonic=lambda: now[0]))
    server = FakeImapServer({str(n): mime("plain.eml") for n in range(1, 11)}, on_fetch=slow_fetch)
    server.install(monkeypatch)
    acme.settings = {"imap_host": "imap.example.test", "imap_user": "support",
                     "imap_password_encrypted": secret_encrypt("pw")}
    with tenant_context(acme.id):
        assert imap.poll_mailbox(tenant=acme) == 3  # started at 0, 25 and 50 s; the 60 s deadline stops the 4th
    assert [number for number, _, _ in server.stored] == ["1", "2", "3"]  # the rest stay unseen for the next poll
    assert "deadline" in caplog.text
    # A single message that drips past the deadline ends with the task's hard time limit.
    assert tasks.imap_poll.time_limit == imap.POLL_TIME_LIMIT_SECONDS <= 180


def test_the_password_is_stored_encrypted_and_never_shown_back(admin, acme, public_dns) -> None:
    assert admin.post(SAVE, MAILBOX).status_code == 302
    stored = _stored_settings(acme)
    assert PASSWORD not in json.dumps(stored) and "imap_password" not in stored
    assert secret_decrypt(stored["imap_password_encrypted"]) == PASSWORD and stored["imap_password_hint"] == "…9876"
    page = admin.get(PAGE).content.decode()
    assert PASSWORD not in page and "A password ending …9876 is stored" in page
    assert "Leave blank to keep the current password" in page
    with tenant_context(acme.id):
        events = list(AuditEvent.objects.for_tenant(acme).filter(action="email.mailbox_configured"))
    assert len(events) == 1 and all(PASSWORD not in json.dumps(e.data) for e in events)
    # A form sent back with an error does not echo the password it was given either.
    refused = admin.post(SAVE, {**MAILBOX, "host": "127.0.0.1", "password": "another-password-5555"})
    assert refused.status_code == 400 and "another-password-5555" not in refused.content.decode()


def test_a_blank_password_keeps_the_stored_one_for_the_same_server_only(admin, acme, public_dns) -> None:
    admin.post(SAVE, MAILBOX)
    assert admin.post(SAVE, {**MAILBOX, "password": "", "folder": "Support tickets"}).status_code == 302
    stored = _stored_settings(acme)
    assert secret_decrypt(stored["imap_password_encrypted"]) == PASSWORD and stored["imap_folder"] == "Support tickets"
    # Pointed at another server, the stored password would be sent to whoever runs it: it must be typed again.
    response = admin.post(SAVE, {**MAILBOX, "host": "imap.attacker.example", "password": ""})
    assert response.status_code == 400 and "password" in response.context["mailbox_form"].errors
    assert _stored_settings(acme)["imap_host"] == "imap.acme.example"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "::1", "127.1",
                                  "mail.internal.example", "imap.acme.example/x@127.0.0.1"])
def test_an_internal_host_is_refused_with_a_field_error(admin, acme, public_dns, host) -> None:
    public_dns.update({"localhost": ["127.0.0.1"], "127.1": ["127.0.0.1"], "mail.internal.example": ["10.20.30.40"]})
    response = admin.post(SAVE, {**MAILBOX, "host": host})
    assert response.status_code == 400 and "host" in response.context["mailbox_form"].errors
    assert "imap_host" not in _stored_settings(acme)


@pytest.mark.parametrize("field", ["user", "password", "folder"])
def test_a_line_break_cannot_smuggle_an_imap_command(admin, acme, public_dns, field) -> None:
    response = admin.post(SAVE, {**MAILBOX, field: "x\r\nA1 DELETE INBOX"})
    assert response.status_code == 400 and field in response.context["mailbox_form"].errors
    assert "imap_host" not in _stored_settings(acme)


def test_an_agent_can_neither_see_nor_change_the_mailbox(client, bob, acme, public_dns) -> None:
    client.force_login(bob)
    assert client.get(PAGE).status_code == 403
    assert client.post(SAVE, MAILBOX).status_code == 403
    assert client.post(REMOVE).status_code == 403
    assert "imap_host" not in _stored_settings(acme)


def test_removing_the_mailbox_forgets_the_password(admin, acme, public_dns) -> None:
    admin.post(SAVE, MAILBOX)
    assert admin.post(REMOVE).status_code == 302
    assert not [key for key in _stored_settings(acme) if key.startswith("imap_")]
    with tenant_context(acme.id):
        actions = list(AuditEvent.objects.for_tenant(acme).order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["email.mailbox_configured", "email.mailbox_removed"]


def test_the_migration_encrypts_clear_passwords(acme, globex) -> None:
    migration = importlib.import_module("tickets.migrations.0003_imap_password_encrypted")
    Tenant.objects.filter(id=acme.id).update(settings={"imap_host": "imap.acme.example", "imap_password": PASSWORD,
                                                       "timezone": "Europe/Paris"})
    Tenant.objects.filter(id=globex.id).update(settings={"imap_host": "imap.globex.example", "imap_password": ""})
    migration.encrypt_imap_passwords(apps, SimpleNamespace(connection=connection))
    acme_settings, globex_settings = _stored_settings(acme), _stored_settings(globex)
    assert PASSWORD not in json.dumps(acme_settings) and "imap_password" not in acme_settings
    assert secret_decrypt(acme_settings["imap_password_encrypted"]) == PASSWORD
    assert acme_settings["imap_password_hint"] == "…9876" and acme_settings["timezone"] == "Europe/Paris"
    assert globex_settings == {"imap_host": "imap.globex.example"}
