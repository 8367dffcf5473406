"""What happens when a customer writes on a ticket: triage, then an auto-reply or a suggestion."""

from __future__ import annotations

import logging

from django.db import transaction

from ai.services.replies import ticket_message_answer
from ai.services.settings import settings_get
from ai.services.triage import ticket_triage
from chat import selectors as chat_selectors
from tenants.models import Tenant
from tickets import selectors as ticket_selectors
from tickets.models import AuthorType, Channel, MessageKind

logger = logging.getLogger(__name__)


def ticket_message_process(*, tenant_id: int, message_id: int) -> None:
    tenant = Tenant.objects.get(id=tenant_id)
    message = ticket_selectors.message_get(tenant=tenant, message_id=message_id)
    if message.author_type != AuthorType.CUSTOMER or message.kind != MessageKind.REPLY:
        return
    ticket = message.ticket
    settings = settings_get(tenant=tenant)
    # A ticket made from a chat carries the chat's triage (its category, and anger the customer showed there).
    chat = (chat_selectors.conversation_of_ticket(tenant=tenant, ticket_id=ticket.id)
            if ticket.channel == Channel.CHAT else None)
    try:
        with transaction.atomic():  # a savepoint: a failed triage must not cost the customer their answer
            ticket_triage(tenant=tenant, settings=settings, ticket=ticket, message=message, chat=chat)
    except Exception:
        logger.exception("triage of ticket message %s failed; answering anyway", message_id)
    first = not ticket_selectors.ticket_messages(tenant=tenant, ticket=ticket).filter(id__lt=message.id).exists()
    # Auto-replies go out only on new email tickets; follow-ups and other channels get a suggestion.
    auto_reply = first and settings.auto_reply_email and ticket.channel == Channel.EMAIL
    ticket_message_answer(tenant=tenant, settings=settings, ticket=ticket, message=message, auto_reply=auto_reply)
