"""Creating tickets: web form, email, chat hand-off and API all end here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.text import single_line
from tenants.models import Tenant, User
from tickets.models import PRIORITY_RANK, AuthorType, Channel, Customer, EventKind, MessageKind, Priority, Team, Ticket
from tickets.search import ticket_vector
from tickets.services._common import next_number, record_event, send_message_posted, send_ticket_created
from tickets.services.messages import AttachmentIn, message_create, validate_attachments, validate_body
from tickets.services.sla import default_policy, sla_compute_due

CHAT_SENDERS = {"customer": AuthorType.CUSTOMER, "agent": AuthorType.AGENT, "bot": AuthorType.BOT,
                "system": AuthorType.SYSTEM}


def customer_get_or_create(*, tenant: Tenant, email: str | None, name: str = "", external_id: str = "") -> Customer:
    """One contact per email address (case-insensitive) per tenant; an anonymous chat gets a fresh contact."""
    email = (email or "").strip().lower()
    name = single_line(name)  # may name the customer in a mail header
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"requester_email": _("Enter a valid email address.")})
        existing = Customer.objects.for_tenant(tenant).filter(email=email).first()
        if existing is not None:
            if name and not existing.name:
                existing.name = name[:200]
                existing.save(update_fields=["name"])
            return existing
    try:
        with transaction.atomic():
            return Customer.objects.create(tenant=tenant, email=email, name=name[:200], external_id=external_id[:120])
    except IntegrityError:  # created concurrently by another request: use that row
        lookup = {"email": email} if email else {"external_id": external_id}
        existing = Customer.objects.for_tenant(tenant).filter(**lookup).first()
        if existing is None:  # the email is new, but the external id belongs to another customer
            raise ValidationError({"external_id": _("Another customer already has this external id.")}) from None
        return existing


def _validate_choices(*, channel: str, priority: str) -> None:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel %(channel)s; use one of %(choices)s.")
                                % {"channel": repr(channel), "choices": ", ".join(Channel.values)}})
    if priority not in PRIORITY_RANK:
        raise ValidationError({"priority": _("Unknown priority %(priority)s; use one of %(choices)s.")
                                 % {"priority": repr(priority), "choices": ", ".join(Priority.values)}})


def _new_ticket(
    *, tenant: Tenant, subject: str, channel: str, requester: Customer, priority: str, team: Team | None,
    tags: Sequence[str], created_at: datetime,
) -> Ticket:
    policy = default_policy(tenant=tenant)
    first_due, resolution_due = sla_compute_due(policy=policy, priority=priority, start=created_at)
    subject = single_line(subject)[:250] or "(no subject)"  # goes out in the Subject of every reply
    ticket = Ticket.objects.create(
        tenant=tenant, number=next_number(tenant=tenant), subject=subject, channel=channel, requester=requester,
        priority=priority, team=team, tags=sorted({t.strip().lower()[:50] for t in tags if t.strip()}),
        sla_policy=policy, first_response_due_at=first_due, resolution_due_at=resolution_due,
        created_at=created_at, updated_at=created_at,
    )
    Ticket.objects.filter(id=ticket.id).update(search_vector=ticket_vector(subject, weight="A"))
    return ticket


@transaction.atomic
def ticket_create(
    *, tenant: Tenant, subject: str, body: str, channel: str, requester_email: str | None,
    requester_name: str = "", body_html: str = "", priority: str = Priority.NORMAL, team: Team | None = None,
    tags: Sequence[str] = (), attachments: Sequence[AttachmentIn] = (), message_id: str = "",
    external_id: str = "", actor: User | None = None, actor_label: str = "",
) -> Ticket:
    """A ticket with the customer's message as its first Message (web form, email, API)."""
    _validate_choices(channel=channel, priority=priority)
    if not (subject or "").strip():
        raise ValidationError({"subject": _("Give the ticket a subject.")})
    body = validate_body(body)
    validate_attachments(attachments)
    if not requester_email and not external_id:
        raise ValidationError({"requester_email": _("A requester email address is required.")})
    requester = customer_get_or_create(tenant=tenant, email=requester_email, name=requester_name,
                                       external_id=external_id)
    ticket = _new_ticket(tenant=tenant, subject=subject, channel=channel, requester=requester, priority=priority,
                         team=team, tags=tags, created_at=timezone.now())
    message = message_create(
        tenant=tenant, ticket=ticket, kind=MessageKind.REPLY, author_type=AuthorType.CUSTOMER, body=body,
        body_html=body_html, author_customer=requester, attachments=attachments, message_id=message_id,
    )
    record_event(tenant=tenant, ticket=ticket, actor=actor, kind=EventKind.CREATED, data={"channel": channel},
                 label=actor_label or ("customer" if actor is None else ""))
    send_ticket_created(tenant=tenant, ticket=ticket)
    send_message_posted(tenant=tenant, ticket=ticket, message_id=message.id, public=True)
    return ticket


def _transcript_items(transcript: list[dict[str, Any]]) -> list[tuple[str, str, datetime, list[AttachmentIn]]]:
    items: list[tuple[str, str, datetime, list[AttachmentIn]]] = []
    for index, item in enumerate(transcript):
        sender, text = item.get("sender"), str(item.get("text") or "").strip()
        if sender not in CHAT_SENDERS:
            raise ValidationError({"transcript": _("Item %(index)s: unknown sender %(sender)s.")
                                   % {"index": index, "sender": repr(sender)}})
        created_at = item.get("created_at")
        if not isinstance(created_at, datetime):
            raise ValidationError({"transcript": _("Item %(index)s: created_at must be a datetime.")
                                   % {"index": index}})
        files = item.get("attachments") or []
        if not isinstance(files, list) or not all(isinstance(f, AttachmentIn) for f in files):
            raise ValidationError({"transcript": _("Item %(index)s: attachments must be AttachmentIn items.")
                                   % {"index": index}})
        if files and not text:  # a message of files only still needs a body in the ticket's thread
            text = "Sent " + ", ".join(f.filename for f in files)
        if text:
            items.append((CHAT_SENDERS[sender], text, created_at, files))
    if not items:
        raise ValidationError({"transcript": _("The transcript has no messages.")})
    return items


@transaction.atomic
def ticket_create_from_chat(
    *, tenant: Tenant, customer_email: str | None, customer_name: str, subject: str, transcript: list[dict[str, Any]],
) -> Ticket:
    """A chat handed off to the ticket queue: its messages are the transcript, in order, with their times.

    Items: {sender, text, created_at, attachments (optional list of AttachmentIn, copied onto the message)}.
    """
    items = _transcript_items(transcript)
    requester = customer_get_or_create(tenant=tenant, email=customer_email, name=customer_name or "Chat visitor")
    ticket = _new_ticket(tenant=tenant, subject=subject or items[0][1][:80], channel=Channel.CHAT,
                         requester=requester, priority=Priority.NORMAL, team=None, tags=["chat"],
                         created_at=items[0][2])
    last_customer_message = None
    for author_type, text, created_at, files in items:
        message = message_create(
            tenant=tenant, ticket=ticket, kind=MessageKind.REPLY, author_type=author_type, body=text,
            author_customer=requester if author_type == AuthorType.CUSTOMER else None, created_at=created_at,
            attachments=files,
        )
        if author_type == AuthorType.CUSTOMER:
            last_customer_message = message
    record_event(tenant=tenant, ticket=ticket, actor=None, kind=EventKind.CREATED, data={"channel": Channel.CHAT},
                 label="chat")
    send_ticket_created(tenant=tenant, ticket=ticket)
    if last_customer_message is not None:
        send_message_posted(tenant=tenant, ticket=ticket, message_id=last_customer_message.id, public=True)
    return ticket
