"""Outgoing mail for a ticket: threaded to the conversation so the customer's client shows one thread.

Every header value is made single-line here too, whatever the services stored: a CR/LF in a header makes Django
refuse the mail (BadHeaderError), an error no retry cures, so one bad row must not silence a ticket.
"""

from __future__ import annotations

import re
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from helpdesk.celery import TRANSIENT_ERRORS
from helpdesk.text import single_line
from tenants.models import Tenant
from tickets.models import AuthorType, Customer, Message, Ticket

SUBJECT_TOKEN = re.compile(r"\[#(\d+)\]")
MAX_REFERENCES = 20


def inbound_address(tenant: Tenant) -> str:
    return f"{tenant.slug}@{settings.INBOUND_EMAIL_DOMAIN}"


def sender(tenant: Tenant) -> str:
    # A quote or backslash in the name would end or escape the quoted display name.
    name = single_line(tenant.name).replace('"', "").replace("\\", "")
    return f'"{name}" <{inbound_address(tenant)}>'


def ticket_subject(ticket: Ticket) -> str:
    """"Re: <subject> [#<number>]": the token threads replies whose headers a client dropped."""
    subject = single_line(ticket.subject)
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    return subject if SUBJECT_TOKEN.search(subject) else f"{subject} [#{ticket.number}]"


def thread_headers(message: Message) -> dict[str, str]:
    earlier = list(
        Message.objects.for_tenant(message.tenant_id).filter(ticket_id=message.ticket_id, id__lt=message.id,
                                                             kind="reply")
        .exclude(message_id="").order_by("id").values_list("message_id", "author_type")
    )
    earlier = [(single_line(mid), author) for mid, author in earlier]
    headers: dict[str, str] = {"Message-ID": single_line(message.message_id)}
    if earlier:
        customer_ids = [mid for mid, author in earlier if author == AuthorType.CUSTOMER]
        headers["In-Reply-To"] = customer_ids[-1] if customer_ids else earlier[-1][0]
        ids = [mid for mid, _ in earlier]
        # Keep the thread root plus the most recent ids, as RFC 5322 suggests for long threads.
        kept = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1):]]
        headers["References"] = " ".join(kept)
    return headers


def reply_email(*, tenant: Tenant, message: Message) -> EmailMessage:
    ticket = message.ticket
    headers = thread_headers(message)
    headers["Reply-To"] = inbound_address(tenant)
    if message.author_type == AuthorType.BOT:
        # RFC 3834: machine-written, so the customer's own auto-responder should not answer it.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    body = message.body
    if message.author_type == AuthorType.AGENT and message.author_user is not None:
        body = f"{body}\n\n-- \n{message.author_user.display_name}, {tenant.name}"
    email = EmailMessage(subject=ticket_subject(ticket), body=body, from_email=sender(tenant),
                         to=[ticket.requester.email], headers=headers)
    for attachment in message.attachments.all():
        email.attach(single_line(attachment.filename), bytes(attachment.data), attachment.content_type)
    return email


def csat_email(*, tenant: Tenant, ticket: Ticket, rate_url: str) -> EmailMessage:
    # In the tenant's language, not the one of whoever's request or worker builds it (a Celery task has none).
    with translation.override(tenant.language):
        name = ticket.requester.name
        greeting = _("Hello %(name)s,") % {"name": name} if name else _("Hello there,")
        body = greeting + "\n\n" + _(
            "Your request #%(number)s \"%(subject)s\" has been solved. How did we do? Rate us here:\n%(url)s\n\n"
            "Thank you,\n%(team)s"
        ) % {"number": ticket.number, "subject": ticket.subject, "url": rate_url, "team": tenant.name}
        subject = _("How did we do? %(subject)s") % {"subject": ticket_subject(ticket)}
    return EmailMessage(
        subject=subject, body=body, from_email=sender(tenant),
        to=[ticket.requester.email],
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
                 "Reply-To": inbound_address(tenant)},
    )


def portal_link_email(*, tenant: Tenant, customer: Customer, url: str) -> EmailMessage:
    with translation.override(tenant.language):
        subject = _("Your %(name)s support link") % {"name": single_line(tenant.name)}
        body = _("Follow your requests here (the link works for 7 days):\n%(url)s\n") % {"url": url}
    return EmailMessage(
        subject=subject, from_email=sender(tenant), to=[customer.email], body=body,
        headers={"Auto-Submitted": "auto-generated"},
    )


def send_failure_reason(exc: BaseException) -> str:
    """Why a mail was not sent, in words for the agent. The SMTP server's answer is about the address or the mail,
    so it is shown; other errors' details (hosts, connection strings) stay in the operator's failed-task list."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
        return f"the mail server refused the address ({answers})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server refused the mail ({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, TRANSIENT_ERRORS):
        return "the help desk's database or queue was unavailable"
    if isinstance(exc, OSError):
        return "the mail server could not be reached"
    return f"an unexpected error ({type(exc).__name__}); the operator's list of failed tasks has the details"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
