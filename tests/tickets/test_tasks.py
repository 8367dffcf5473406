"""Mail out: a reply's send is retried with a backoff kept under the broker's visibility timeout, a send that fails
for good is marked on the message (and in the failed-task list), and stored data never makes a mail unsendable."""

from __future__ import annotations

import smtplib

import pytest
import redis.exceptions
from django.core import mail
from django.db import OperationalError

from helpdesk.models import FailedTask
from tenants.models import Tenant
from tenants.rls import tenant_context
from tickets import services
from tickets.models import EmailStatus, Message, Ticket, TicketEvent
from tickets.tasks import csat_send_request, message_send_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(acme, alice) -> Message:
    """An agent's reply queued for mail (the test transaction never commits, so nothing sends it by itself)."""
    with tenant_context(acme.id):
        ticket = services.ticket_create(tenant=acme, subject="Card not arrived", body="Where is my card?",
                                        channel="email", requester_email="jane@example.test",
                                        requester_name="Jane")
        return services.ticket_reply(tenant=acme, ticket=ticket, author=alice, body="A new card is on its way.")


def _fresh(tenant: Tenant, message: Message) -> Message:
    with tenant_context(tenant.id):
        return Message.objects.get(id=message.id)


@pytest.mark.parametrize("task", [message_send_email, csat_send_request])
def test_mail_tasks_retry_mail_and_infrastructure_errors_within_the_visibility_timeout(task, settings):
    for error in (smtplib.SMTPServerDisconnected, ConnectionRefusedError, TimeoutError, OperationalError,
                  redis.exceptions.ConnectionError):
        assert issubclass(error, task.retry_for), error
    waits = [task.retry_countdown(n) for n in range(task.max_retries)]
    # A retry waits in the broker unacknowledged: longer than the visibility timeout, a second worker would get it.
    assert max(waits) <= 20 < settings.CELERY_VISIBILITY_TIMEOUT_S
    assert task.max_retries == 8


def test_a_queued_reply_is_pending_until_sent(acme, reply):
    assert (reply.email_status, reply.email_error, reply.email_sent_at) == (EmailStatus.PENDING, "", None)
    message_send_email.apply(args=(acme.id, reply.id))
    sent = _fresh(acme, reply)
    assert sent.email_status == EmailStatus.SENT and sent.email_sent_at is not None
    assert [m.to for m in mail.outbox] == [["jane@example.test"]]


def test_a_send_that_fails_for_a_while_is_retried_and_sent_once(acme, reply, failing_mail):
    failing_mail.extend([smtplib.SMTPServerDisconnected("gone"), ConnectionRefusedError(111, "refused")])
    result = message_send_email.apply(args=(acme.id, reply.id))
    assert result.successful()
    sent = _fresh(acme, reply)
    assert (sent.email_status, sent.email_error) == (EmailStatus.SENT, "")
    assert len(mail.outbox) == 1 and not failing_mail


def test_a_send_that_fails_for_good_is_marked_on_the_message(acme, reply, failing_mail):
    refused = smtplib.SMTPRecipientsRefused({"jane@example.test": (550, b"5.1.1 No such user")})
    failing_mail.extend([refused] * (message_send_email.max_retries + 1))
    result = message_send_email.apply(args=(acme.id, reply.id))
    assert result.failed() and not failing_mail  # every retry was spent
    failed = _fresh(acme, reply)
    assert failed.email_status == EmailStatus.FAILED and failed.email_sent_at is None
    assert failed.email_error == "the mail server refused the address (550 5.1.1 No such user)"
    assert mail.outbox == []
    with tenant_context(acme.id):
        event = TicketEvent.objects.get(kind="email.failed")
        assert event.data == {"message_id": reply.id, "error": failed.email_error}
    # The operator's list keeps the task too, with the technical details.
    assert FailedTask.objects.filter(name=message_send_email.name, args=[acme.id, reply.id]).exists()


def test_an_error_no_retry_cures_is_marked_at_once(acme, reply, failing_mail):
    failing_mail.extend([ValueError("header"), smtplib.SMTPServerDisconnected("not reached")])
    assert message_send_email.apply(args=(acme.id, reply.id)).failed()
    assert len(failing_mail) == 1  # not retried
    failed = _fresh(acme, reply)
    assert failed.email_status == EmailStatus.FAILED
    assert failed.email_error.startswith("an unexpected error (ValueError)")


def test_a_later_successful_send_clears_the_error(acme, alice, reply, failing_mail, eager_tasks,
                                                  django_capture_on_commit_callbacks):
    failing_mail.append(ValueError("header"))
    message_send_email.apply(args=(acme.id, reply.id), throw=False)
    with tenant_context(acme.id), django_capture_on_commit_callbacks(execute=True):
        services.message_email_retry(tenant=acme, message=reply, actor=alice)
    sent = _fresh(acme, reply)
    assert (sent.email_status, sent.email_error) == (EmailStatus.SENT, "")
    assert sent.email_sent_at is not None and len(mail.outbox) == 1


def test_stored_line_breaks_never_reach_a_header(acme, reply):
    # Rows written before the services cleaned them, or by hand: the mail builder defends itself.
    with tenant_context(acme.id):
        Ticket.objects.filter(id=reply.ticket_id).update(subject="Card lost\r\nBcc: everyone@example.test")
        Message.objects.filter(ticket_id=reply.ticket_id, author_type="customer").update(
            message_id="<first@mail.example.test>\r\nX-Evil: 1")
    Tenant.objects.filter(id=acme.id).update(name='Acme\n"Inc."\\')
    assert message_send_email.apply(args=(acme.id, reply.id)).successful()
    [sent] = mail.outbox
    message = sent.message()
    number = reply.ticket.number
    assert message["Subject"] == f"Re: Card lost Bcc: everyone@example.test [#{number}]"
    assert message["From"] == '"Acme Inc." <acme@helpdesk.localhost>'
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in message["In-Reply-To"]
    assert _fresh(acme, reply).email_status == EmailStatus.SENT
