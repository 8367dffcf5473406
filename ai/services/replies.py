"""Answers and suggestions for ticket messages (chat answers live in ``ai.services.chat``)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import translation

from ai import answering
from ai.backends.generation import Turn
from ai.models import AISettings, Suggestion, Trace
from ai.retrieval import kb_search
from ai.services.settings import answer_options
from ai.services.traces import trace_record
from chat.bot_texts import bot_text, reply_language
from tenants.models import Tenant
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.models import AuthorType, Message, Ticket

HISTORY = 8


def ticket_history(*, tenant: Tenant, ticket: Ticket, before: Message) -> list[Turn]:
    """Public messages before ``before``, as turns (agents' and the bot's replies count as the assistant)."""
    messages = ticket_selectors.ticket_messages(tenant=tenant, ticket=ticket, public_only=True).filter(id__lt=before.id)
    return [Turn("customer" if m.author_type == AuthorType.CUSTOMER else "assistant", m.body)
            for m in list(messages)[-HISTORY:]]


def format_reply(text: str, citations: list[dict[str, Any]], language: str = "") -> str:
    """Email text: the answer, then where it came from (the bot always says its source), in the customer's language."""
    sources = "\n".join(f"- {c['title']}: {c['url']}" for c in citations)
    return f"{text}\n\n{bot_text('sources', language)}\n{sources}" if citations else text


def suggestion_save(*, tenant: Tenant, source: str, message_id: int, outcome: answering.Outcome,
                    ticket_id: int | None = None, conversation_id: int | None = None) -> Suggestion:
    """One suggestion per customer message; a re-run of the task returns the stored one."""
    # An agent reviews a suggestion before it is sent, so when the bot was not sure enough to answer the customer
    # the reader's draft is still offered (it is never sent on its own).
    text, citations = (outcome.text, outcome.citations) if outcome.text else (outcome.draft, outcome.draft_citations)
    related = [s for s in outcome.sources if s["article_id"] not in {c["article_id"] for c in citations}]
    try:
        with transaction.atomic():
            return Suggestion.objects.create(
                tenant=tenant, source=source, message_id=message_id, ticket_id=ticket_id,
                conversation_id=conversation_id, text=text, citations=citations, related=related[:5],
            )
    except IntegrityError:
        return Suggestion.objects.for_tenant(tenant).get(source=source, message_id=message_id)


def ticket_message_answer(*, tenant: Tenant, settings: AISettings, ticket: Ticket, message: Message,
                          auto_reply: bool) -> Trace:
    """Answer the customer by email when allowed and confident; otherwise leave a suggestion for the agent."""
    history = ticket_history(tenant=tenant, ticket=ticket, before=message)
    # The first message is read with its subject, which often carries the question ("Card not arrived").
    text = message.body if history else f"{ticket.subject}\n{message.body}"
    with translation.override(tenant.language):  # its hand-off summary is for the tenant's agents
        outcome = answering.answer(text=text, history=history, search=kb_search(tenant=tenant),
                                   options=answer_options(settings), category=ticket.category)
    delivered = False
    if auto_reply and outcome.action == "answer":
        ticket_services.message_post_bot_reply(tenant=tenant, ticket=ticket,
                                               body=format_reply(outcome.text, outcome.citations,
                                                                 reply_language(outcome.language, tenant.language)),
                                               citations=outcome.citations)
        delivered = True
    if not delivered and settings.suggestions_enabled:
        suggestion_save(tenant=tenant, source="ticket", message_id=message.id, outcome=outcome, ticket_id=ticket.id)
    kind = Trace.Kind.TICKET_ANSWER if auto_reply else Trace.Kind.SUGGESTION
    return trace_record(tenant=tenant, kind=kind, source_id=message.id, outcome=outcome, ticket_id=ticket.id,
                        delivered=delivered)
