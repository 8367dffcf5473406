"""Mail out, done for real: the operator's scenario (a subject with a line break set through the API, then a reply
posted) ends with the reply in the customer's mailbox with a one-line subject; a mail server that turns the worker
away at first gets the reply on the worker's next try.

Each test drives the API through Django's test client with an API key, and a real Celery worker sends the mail
through the real broker: to files (Django's file-based backend), or to a small SMTP server on loopback."""

from __future__ import annotations

import email
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tenants import services as tenant_services
from tenants.models import Membership, Tenant, User
from tenants.rls import tenant_context
from tests.conftest import free_port
from tests.factories import CustomerFactory, TicketFactory
from tests.reliability.conftest import wait_for
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
API = "/t/acme/api/v1"
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@pytest.fixture
def start_mail_worker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Start the real worker (tests/conftest.py) with these mail settings; no AI models: no AI work here."""

    def start(**env: str) -> None:
        for name, value in {"AI_WARM_UP": "0", **env}.items():
            monkeypatch.setenv(name, value)
        request.getfixturevalue("celery_worker_process")

    return start


@pytest.fixture
def api(acme: Tenant, alice: User) -> APIClient:
    with tenant_context(acme.id):
        membership = Membership.objects.get(tenant=acme, user=alice)
        key = tenant_services.api_key_create(tenant=acme, actor=membership, name="mail test").key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def ticket(acme: Tenant) -> Ticket:
    """Made directly: a customer's message through the API would start the AI's triage and answer."""
    with tenant_context(acme.id):
        requester = CustomerFactory(tenant=acme, email="jane@example.test", name="Jane")
        return TicketFactory(tenant=acme, subject="Card lost", requester=requester)


def _mail_status(api: APIClient, ticket: Ticket, message_id: int) -> str | None:
    messages = api.get(f"{API}/tickets/{ticket.id}/messages/").json()
    return next(m["email_status"] for m in messages if m["id"] == message_id)


def _reply(api: APIClient, ticket: Ticket, body: str) -> dict[str, object]:
    response = api.post(f"{API}/tickets/{ticket.id}/messages/", {"body": body}, format="json")
    assert response.status_code == 201, response.content
    reply = response.json()
    assert reply["email_status"] == "pending"
    return dict(reply)


def _filed_mail(folder: Path, message_id: str) -> EmailMessage | None:
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if message_id.encode() in chunk:
                return email.message_from_bytes(chunk.strip(), policy=policy.default)  # type: ignore[return-value]
    return None


def test_a_subject_with_a_line_break_goes_out_on_one_line(acme, api, ticket, start_mail_worker, tmp_path):
    start_mail_worker(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                      EMAIL_FILE_PATH=str(tmp_path))
    response = api.patch(f"{API}/tickets/{ticket.id}/", {"subject": "Card lost\r\nBcc: everyone@example.test"},
                         format="json")
    assert response.status_code == 200, response.content
    reply = _reply(api, ticket, "A new card is on its way.")
    sent = wait_for(lambda: _filed_mail(tmp_path, str(reply["message_id"])), 120, "the reply's mail")
    assert isinstance(sent, EmailMessage)
    assert sent["Subject"] == f"Re: Card lost Bcc: everyone@example.test [#{ticket.number}]"
    assert sent["To"] == "jane@example.test" and sent["Bcc"] is None
    assert "A new card is on its way." in sent.get_body(preferencelist=("plain",)).get_content()
    wait_for(lambda: _mail_status(api, ticket, int(str(reply["id"]))) == "sent", 30, "the reply marked sent")


class _SmtpServer(socketserver.ThreadingTCPServer):
    """A mail server on loopback that turns away its first ``refuse`` connections (421, as a server that is
    restarting does) and then accepts every mail."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int, refuse: int) -> None:
        super().__init__(("127.0.0.1", port), _SmtpSession)
        self.refuse = refuse
        self.connections: list[float] = []
        self.received: list[bytes] = []


class _SmtpSession(socketserver.StreamRequestHandler):
    server: _SmtpServer

    def handle(self) -> None:
        self.server.connections.append(time.monotonic())
        if len(self.server.connections) <= self.server.refuse:
            self._say("421 Service not available, try again later")
            return
        self._say("220 stub ESMTP")
        data: list[bytes] | None = None
        for raw in self.rfile:
            line = raw.rstrip(b"\r\n")
            if data is not None:  # the mail itself, up to a lone dot
                if line == b".":
                    self.server.received.append(b"\r\n".join(data))
                    data = None
                    self._say("250 OK")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                data = []
                self._say("354 End data with <CR><LF>.<CR><LF>")
            elif verb == b"QUIT":
                self._say("221 Bye")
                return
            else:  # EHLO, MAIL, RCPT, RSET, NOOP
                self._say("250 OK")

    def _say(self, reply: str) -> None:
        self.wfile.write(reply.encode() + b"\r\n")


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    server = _SmtpServer(free_port(), refuse=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_mail_server_that_turns_the_worker_away_gets_the_reply_on_the_next_try(acme, api, ticket, smtp_server,
                                                                                  start_mail_worker):
    start_mail_worker(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                      EMAIL_PORT=str(smtp_server.server_address[1]), EMAIL_HOST_USER="", EMAIL_USE_TLS="0")
    reply = _reply(api, ticket, "A new card is on its way.")
    wait_for(lambda: smtp_server.received, 120, "the reply at the mail server")
    [raw] = smtp_server.received
    sent = email.message_from_bytes(raw, policy=policy.default)
    assert sent["Message-ID"] == reply["message_id"] and sent["To"] == "jane@example.test"
    first, second = smtp_server.connections
    assert second - first >= 1.5  # the retry waited its backoff (2 s), not in a tight loop
    wait_for(lambda: _mail_status(api, ticket, int(str(reply["id"]))) == "sent", 30, "the reply marked sent")
    assert len(smtp_server.connections) == 2
