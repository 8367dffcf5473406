"""The tenant's IMAP server: a man in the middle with any certificate reads the mailbox password (Python's imaplib
verifies nothing by default), a server that never answers holds a worker, an internal host is a network probe."""

from __future__ import annotations

import ssl

import pytest

from helpdesk.outbound import UnsafeDestination
from tenants.rls import tenant_context
from tests.tickets.test_email import FakeImap

pytestmark = pytest.mark.django_db


def test_the_mail_server_certificate_is_verified_and_the_connection_times_out(acme, monkeypatch, public_dns) -> None:
    from tickets.mail import imap

    monkeypatch.setattr(imap.imaplib, "IMAP4_SSL", FakeImap)
    FakeImap.stored, FakeImap.opened = [], []
    acme.settings = {"imap_host": "imap.example.test", "imap_user": "support", "imap_password": "pw"}
    with tenant_context(acme.id):
        imap.poll_mailbox(tenant=acme)
    [opened] = FakeImap.opened
    context = opened["ssl_context"]
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert opened["timeout"] and opened["timeout"] <= 60


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "mail.internal.example"])
def test_an_internal_mail_host_is_refused(acme, monkeypatch, public_dns, host) -> None:
    from tickets.mail import imap

    public_dns.update({"localhost": ["127.0.0.1"], "mail.internal.example": ["10.20.30.40"]})
    FakeImap.opened = []
    monkeypatch.setattr(imap.imaplib, "IMAP4_SSL", FakeImap)
    acme.settings = {"imap_host": host, "imap_user": "support", "imap_password": "pw"}
    with tenant_context(acme.id), pytest.raises(UnsafeDestination):
        imap.poll_mailbox(tenant=acme)
    assert FakeImap.opened == []
