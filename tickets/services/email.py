"""Inbound email: thread it onto its ticket, or start a new one. Machine mail is recorded, never answered."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from tenants.models import Tenant
from tickets.mail.outbound import SUBJECT_TOKEN, inbound_address
from tickets.mail.parse import ParsedEmail, parse_email, strip_quoted
from tickets.models import Channel, Message, Status, Ticket
from tickets.services.create import customer_get_or_create, ticket_create
from tickets.services.messages import AttachmentIn, ticket_customer_message, ticket_system_note


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # "created", "threaded", "duplicate", "auto_reply", "ignored"
    ticket: Ticket | None
    message: Message | None = None
    reason: str = ""


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = set()
    while ticket.merged_into_id and ticket.id not in seen:
        seen.add(ticket.id)
        ticket = Ticket.objects.select_related("requester").get(id=ticket.merged_into_id)
    return ticket


def thread_ticket(*, tenant: Tenant, parsed: ParsedEmail) -> Ticket | None:
    """By Message-ID / In-Reply-To / References first; then by the [#number] token from the same requester."""
    ids = [i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i]
    if ids:
        message = (Message.objects.for_tenant(tenant).filter(message_id__in=ids).select_related("ticket__requester")
                   .order_by("-id").first())
        if message is not None:
            return _follow_merges(message.ticket)
    token = SUBJECT_TOKEN.search(parsed.subject)
    if token:
        # The token alone is guessable, so it only threads mail from the ticket's own requester.
        ticket = (Ticket.objects.for_tenant(tenant).filter(number=int(token.group(1)),
                                                           requester__email=parsed.from_email)
                  .select_related("requester").first())
        if ticket is not None:
            return _follow_merges(ticket)
    return None


def _attachments(parsed: ParsedEmail) -> tuple[list[AttachmentIn], list[str]]:
    kept, dropped = [], []
    for item in parsed.attachments:
        if len(item.data) > settings.MAX_ATTACHMENT_BYTES:
            dropped.append(f"{item.filename} ({len(item.data)} bytes)")
        else:
            kept.append(AttachmentIn(filename=item.filename, content_type=item.content_type, data=item.data))
    return kept, dropped


@transaction.atomic
def ingest_email(*, tenant: Tenant, raw: bytes) -> IngestResult:
    """Safe to call twice with the same mail (webhook retries, IMAP re-polls): the Message-ID deduplicates."""
    parsed = parse_email(raw)
    if parsed.from_email == inbound_address(tenant):
        return IngestResult("ignored", None, reason="sent by this help desk (mail loop)")
    if parsed.message_id:
        existing = Message.objects.for_tenant(tenant).filter(message_id=parsed.message_id).select_related("ticket")
        first = existing.first()
        if first is not None:
            return IngestResult("duplicate", first.ticket, first)
    ticket = thread_ticket(tenant=tenant, parsed=parsed)
    if parsed.is_auto:
        if ticket is None:
            return IngestResult("ignored", None, reason=parsed.auto_reason)
        note = ticket_system_note(
            tenant=tenant, ticket=ticket,
            body=f"Automatic mail from {parsed.from_email} ({parsed.auto_reason}), not answered:\n\n"
                 f"{parsed.text[:2000]}",
        )
        Message.objects.filter(id=note.id).update(message_id=parsed.message_id[:255])
        return IngestResult("auto_reply", ticket, note, reason=parsed.auto_reason)
    attachments, dropped = _attachments(parsed)
    if ticket is not None and ticket.status == Status.CLOSED:
        ticket = None  # a closed ticket stays closed: the customer's new mail opens a new one
    if ticket is None:
        ticket = ticket_create(
            tenant=tenant, subject=parsed.subject or parsed.text[:80], body=parsed.text or "(no text)",
            body_html=parsed.html, channel=Channel.EMAIL, requester_email=parsed.from_email,
            requester_name=parsed.from_name, attachments=attachments, message_id=parsed.message_id,
        )
        message = ticket.messages.order_by("id").first()
        outcome = "created"
    else:
        customer = customer_get_or_create(tenant=tenant, email=parsed.from_email, name=parsed.from_name)
        body = strip_quoted(parsed.text) or parsed.text or "(no text)"
        message = ticket_customer_message(
            tenant=tenant, ticket=ticket, customer=customer, body=body, body_html=parsed.html,
            attachments=attachments, message_id=parsed.message_id, in_reply_to=parsed.in_reply_to,
            references=" ".join(parsed.references),
        )
        outcome = "threaded"
    if dropped:
        ticket_system_note(tenant=tenant, ticket=ticket,
                           body="Attachments over the size limit were not kept: " + ", ".join(dropped))
    return IngestResult(outcome, ticket, message)
