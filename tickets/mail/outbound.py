"""Outgoing mail for a ticket: threaded to the conversation so the customer's client shows one thread."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.mail import EmailMessage

from tenants.models import Tenant
from tickets.models import AuthorType, Message, Ticket

SUBJECT_TOKEN = re.compile(r"\[#(\d+)\]")
MAX_REFERENCES = 20


def inbound_address(tenant: Tenant) -> str:
    return f"{tenant.slug}@{settings.INBOUND_EMAIL_DOMAIN}"


def sender(tenant: Tenant) -> str:
    name = tenant.name.replace('"', "")
    return f'"{name}" <{inbound_address(tenant)}>'


def ticket_subject(ticket: Ticket) -> str:
    """"Re: <subject> [#<number>]": the token threads replies whose headers a client dropped."""
    subject = ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    return subject if SUBJECT_TOKEN.search(subject) else f"{subject} [#{ticket.number}]"


def thread_headers(message: Message) -> dict[str, str]:
    earlier = list(
        Message.objects.for_tenant(message.tenant_id).filter(ticket_id=message.ticket_id, id__lt=message.id,
                                                             kind="reply")
        .exclude(message_id="").order_by("id").values_list("message_id", "author_type")
    )
    headers: dict[str, str] = {"Message-ID": message.message_id}
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
        email.attach(attachment.filename, bytes(attachment.data), attachment.content_type)
    return email


def csat_email(*, tenant: Tenant, ticket: Ticket, rate_url: str) -> EmailMessage:
    body = (f"Hello {ticket.requester.name or 'there'},\n\nYour request #{ticket.number} \"{ticket.subject}\" has been "
            f"solved. How did we do? Rate us here:\n{rate_url}\n\nThank you,\n{tenant.name}")
    return EmailMessage(
        subject=f"How did we do? {ticket_subject(ticket)}", body=body, from_email=sender(tenant),
        to=[ticket.requester.email],
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
                 "Reply-To": inbound_address(tenant)},
    )
