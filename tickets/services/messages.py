"""Messages on a ticket: customer messages, agent replies, internal notes and bot replies."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.mail import make_msgid
from django.db import transaction
from django.db.models import Func
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.text import single_line
from tenants.models import Tenant, User
from tickets.mail import outbound
from tickets.models import (
    Attachment,
    AuthorType,
    Customer,
    EmailStatus,
    EventKind,
    Message,
    MessageKind,
    Status,
    Ticket,
)
from tickets.sanitize import clean_html
from tickets.search import ticket_vector
from tickets.services._common import record_event, send_message_posted

MAX_BODY_CHARS = 100_000


class _AppendVector(Func):
    template = "(COALESCE(search_vector, ''::tsvector) || %(expressions)s)"
    output_field = SearchVectorField()


@dataclass(frozen=True)
class AttachmentIn:
    filename: str
    content_type: str
    data: bytes


_MIME_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$", re.ASCII)


def clean_attachment(item: AttachmentIn) -> AttachmentIn:
    """Names and types come from browsers and mail clients: no control characters (PostgreSQL text cannot hold
    NUL; CR/LF would end up in a Content-Disposition header), and a type that does not look like one is unknown."""
    filename = "".join(ch for ch in item.filename if unicodedata.category(ch) != "Cc").strip()[:255]
    content_type = item.content_type.split(";", 1)[0].strip().lower()
    if not _MIME_TYPE.match(content_type) or len(content_type) > 120:
        content_type = "application/octet-stream"
    return AttachmentIn(filename=filename, content_type=content_type, data=item.data)


def validate_attachments(attachments: Sequence[AttachmentIn]) -> None:
    limit = settings.MAX_ATTACHMENT_BYTES
    for item in attachments:
        if len(item.data) > limit:
            raise ValidationError(
                {"attachments": f"{item.filename} is {len(item.data)} bytes; the limit is {limit} bytes."}
            )
        if not item.filename.strip():
            raise ValidationError({"attachments": _("Every attachment needs a file name.")})


def validate_body(body: str, *, field: str = "body") -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({field: _("Write a message.")})
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError({field: _("Keep messages under %(limit)s characters.") % {"limit": MAX_BODY_CHARS}})
    return body


def outbound_message_id() -> str:
    return make_msgid(domain=settings.INBOUND_EMAIL_DOMAIN)


def message_create(
    *, tenant: Tenant, ticket: Ticket, kind: str, author_type: str, body: str, body_html: str = "",
    author_user: User | None = None, author_customer: Customer | None = None,
    attachments: Sequence[AttachmentIn] = (), message_id: str = "", in_reply_to: str = "", references: str = "",
    citations: list[dict[str, Any]] | None = None, created_at: datetime | None = None,
) -> Message:
    """The one place a Message row is written; callers own the transaction and the events."""
    attachments = [clean_attachment(a) for a in attachments]
    validate_attachments(attachments)
    message = Message.objects.create(
        tenant=tenant, ticket=ticket, kind=kind, author_type=author_type, author_user=author_user,
        author_customer=author_customer, body=body, body_html=clean_html(body_html) if body_html else "",
        # The threading ids go back out in the headers of our replies (In-Reply-To, References).
        citations=citations or [], message_id=single_line(message_id)[:255],
        in_reply_to=single_line(in_reply_to)[:255], references=single_line(references),
        created_at=created_at or timezone.now(),
    )
    Attachment.objects.bulk_create([
        Attachment(tenant=tenant, message=message, filename=a.filename, content_type=a.content_type,
                   size=len(a.data), data=a.data)
        for a in attachments
    ])
    if kind == MessageKind.REPLY:
        # Searchable by everything said in public on the ticket, not only its subject.
        Ticket.objects.for_tenant(tenant).filter(id=ticket.id).update(
            search_vector=_AppendVector(ticket_vector(body[:20_000])),
            updated_at=timezone.now(),
        )
    return message


def _enqueue_email(tenant: Tenant, message: Message) -> None:
    """Mail the reply after commit; until it is sent (or fails for good) the agent sees it as sending."""
    from tickets import tasks

    if message.ticket.requester.email:
        message.email_status, message.email_error = EmailStatus.PENDING, ""
        message.save(update_fields=["email_status", "email_error"])
        transaction.on_commit(partial(tasks.message_send_email.delay, tenant.id, message.id))


def _message_lock(*, tenant: Tenant, message_id: int) -> Message | None:
    return (Message.objects.for_tenant(tenant).select_for_update(of=("self",))
            .select_related("ticket__requester", "author_user").filter(id=message_id).first())


@transaction.atomic
def message_email_send(*, tenant: Tenant, message_id: int) -> None:
    """Mail a reply to the requester, once: the row lock and ``email_sent_at`` make a task delivered twice send
    nothing the second time. Errors propagate, for the task to retry (tickets/tasks.py)."""
    message = _message_lock(tenant=tenant, message_id=message_id)
    if message is None or message.email_sent_at is not None or not message.ticket.requester.email:
        return
    outbound.reply_email(tenant=tenant, message=message).send()
    message.email_sent_at = timezone.now()
    message.email_status, message.email_error = EmailStatus.SENT, ""
    message.save(update_fields=["email_sent_at", "email_status", "email_error"])


@transaction.atomic
def message_email_failed(*, tenant: Tenant, message_id: int, reason: str) -> Message | None:
    """The reply's mail failed for good: shown on the ticket as not sent, with the reason and a way to retry,
    and announced like any ticket change (open ticket pages, webhooks), instead of the customer silently never
    hearing back."""
    message = _message_lock(tenant=tenant, message_id=message_id)
    if message is None or message.email_sent_at is not None:  # sent by another delivery of the task after all
        return None
    message.email_status, message.email_error = EmailStatus.FAILED, single_line(reason)[:500]
    message.save(update_fields=["email_status", "email_error"])
    record_event(tenant=tenant, ticket=message.ticket, actor=None, kind=EventKind.EMAIL_FAILED, label="mail",
                 data={"message_id": message.id, "error": message.email_error})
    return message


@transaction.atomic
def message_email_retry(*, tenant: Tenant, message: Message, actor: User | None, actor_label: str = "") -> Message:
    """An agent sends a reply whose mail failed again: the error is cleared and the mail queued afresh."""
    locked = _message_lock(tenant=tenant, message_id=message.id)
    if locked is None or locked.email_status != EmailStatus.FAILED:
        raise ValidationError({"message": _("Only a reply that could not be sent can be sent again.")})
    if not locked.ticket.requester.email:
        raise ValidationError({"message": _("The requester has no email address.")})
    _enqueue_email(tenant, locked)
    record_event(tenant=tenant, ticket=locked.ticket, actor=actor, kind=EventKind.EMAIL_RETRIED, label=actor_label,
                 data={"message_id": locked.id})
    return locked


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("requester").get(id=ticket.id, tenant_id=ticket.tenant_id)


@transaction.atomic
def ticket_reply(
    *, tenant: Tenant, ticket: Ticket, author: User | None, body: str, body_html: str = "",
    attachments: Sequence[AttachmentIn] = (), status: str | None = None, author_label: str = "",
) -> Message:
    """An agent's public reply: emailed to the requester (threaded), stops the first-response clock."""
    from tickets.services.changes import ticket_set_status

    body = validate_body(body)
    ticket = _lock(ticket)
    message = message_create(
        tenant=tenant, ticket=ticket, kind=MessageKind.REPLY, author_type=AuthorType.AGENT, body=body,
        body_html=body_html, author_user=author, attachments=attachments, message_id=outbound_message_id(),
    )
    if ticket.first_response_at is None:
        ticket.first_response_at = message.created_at
        ticket.save(update_fields=["first_response_at"])
    target = status or (Status.OPEN if ticket.status == Status.NEW else None)
    if target and target != ticket.status:
        ticket_set_status(tenant=tenant, ticket=ticket, status=target, actor=author, actor_label=author_label)
    _enqueue_email(tenant, message)
    send_message_posted(tenant=tenant, ticket=ticket, message_id=message.id, public=True,
                        actor_id=author.id if author else None)
    return message


@transaction.atomic
def ticket_note(
    *, tenant: Tenant, ticket: Ticket, author: User | None, body: str, attachments: Sequence[AttachmentIn] = (),
) -> Message:
    """An internal note: never leaves the agents, never stops an SLA clock."""
    body = validate_body(body)
    message = message_create(
        tenant=tenant, ticket=ticket, kind=MessageKind.NOTE, author_type=AuthorType.AGENT, body=body,
        author_user=author, attachments=attachments,
    )
    send_message_posted(tenant=tenant, ticket=ticket, message_id=message.id, public=False,
                        actor_id=author.id if author else None)
    return message


@transaction.atomic
def message_post_bot_reply(*, tenant: Tenant, ticket: Ticket, body: str, citations: list[dict[str, Any]]) -> Message:
    """An AI auto-reply: author bot, with its citations, emailed out like an agent's reply."""
    body = validate_body(body)
    ticket = _lock(ticket)
    message = message_create(
        tenant=tenant, ticket=ticket, kind=MessageKind.REPLY, author_type=AuthorType.BOT, body=body,
        citations=citations, message_id=outbound_message_id(),
    )
    if ticket.first_response_at is None:
        ticket.first_response_at = message.created_at
        ticket.save(update_fields=["first_response_at"])
    _enqueue_email(tenant, message)
    send_message_posted(tenant=tenant, ticket=ticket, message_id=message.id, public=True)
    return message


@transaction.atomic
def ticket_customer_message(
    *, tenant: Tenant, ticket: Ticket, customer: Customer, body: str, body_html: str = "",
    attachments: Sequence[AttachmentIn] = (), message_id: str = "", in_reply_to: str = "", references: str = "",
) -> Message:
    """The customer writes again: the ticket reopens if it was waiting on them or solved."""
    from tickets.services.changes import ticket_set_status

    ticket = _lock(ticket)
    message = message_create(
        tenant=tenant, ticket=ticket, kind=MessageKind.REPLY, author_type=AuthorType.CUSTOMER, body=body,
        body_html=body_html, author_customer=customer, attachments=attachments, message_id=message_id,
        in_reply_to=in_reply_to, references=references,
    )
    if ticket.status in (Status.PENDING, Status.SOLVED):
        ticket_set_status(tenant=tenant, ticket=ticket, status=Status.OPEN, actor=None, actor_label="customer")
    send_message_posted(tenant=tenant, ticket=ticket, message_id=message.id, public=True)
    return message


@transaction.atomic
def ticket_system_note(*, tenant: Tenant, ticket: Ticket, body: str) -> Message:
    """A note by the system (auto-replies received, dropped attachments); announces nothing to the AI."""
    message = message_create(tenant=tenant, ticket=ticket, kind=MessageKind.NOTE, author_type=AuthorType.SYSTEM,
                             body=body)
    record_event(tenant=tenant, ticket=ticket, actor=None, kind=EventKind.SYSTEM_NOTE, data={"message_id": message.id})
    return message
