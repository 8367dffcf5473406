"""Triage of customer messages: category, priority, sentiment and language.

Ticket messages are written through tickets' services, chat messages through chat's. Both use ``analyse`` (the
tenant's classifier, or zero-shot before it has one); a ticket made from a chat starts with the chat's labels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ai import pii
from ai.backends import language, sentiment
from ai.backends.classifier import zero_shot
from ai.models import AISettings, Trace
from ai.retrieval import category_descriptions
from ai.selectors import active_classifier
from chat import services as chat_services
from chat.models import ChatMessage, Conversation
from tenants.models import Tenant
from tickets import services as ticket_services
from tickets.models import Message, Ticket

# Zero-shot cosine below which no category is set: better empty than confidently wrong.
ZERO_SHOT_FLOOR = 0.2


@dataclass(frozen=True)
class Triage:
    category: str
    category_source: str  # "classifier vN", "zero-shot" or ""
    confidence: float
    priority: str | None
    sentiment: float
    sentiment_label: str
    language: str


def classify(*, tenant: Tenant, text: str) -> tuple[str, str, float]:
    active = active_classifier(tenant=tenant)
    if active is not None:
        version, model = active
        prediction = model.predict([text])[0]
        return prediction.label, f"classifier v{version.version}", prediction.confidence
    descriptions = category_descriptions(tenant=tenant)
    if not descriptions:
        return "", "", 0.0
    prediction = zero_shot([text], descriptions)[0]
    if prediction.confidence < ZERO_SHOT_FLOOR:
        return "", "zero-shot", prediction.confidence
    return prediction.label, "zero-shot", prediction.confidence


def analyse(*, tenant: Tenant, settings: AISettings, text: str, with_category: bool) -> Triage:
    clean = pii.redact(text).text
    lang = language.detect(clean)
    mood = sentiment.analyse(clean, language=lang.code)
    category, source, confidence = classify(tenant=tenant, text=clean) if with_category else ("", "", 0.0)
    priority = None
    if settings.urgent_when_angry and mood.score <= settings.negative_threshold:
        priority = "urgent"
    return Triage(category=category, category_source=source, confidence=round(confidence, 3), priority=priority,
                  sentiment=mood.score, sentiment_label=mood.label, language=lang.code)


def _carried(settings: AISettings, result: Triage, chat: Conversation | None) -> Triage:
    """A ticket made from a chat takes the chat's labels where it has them; anger anywhere in the chat counts."""
    if chat is None:
        return result
    angry = chat.sentiment_min is not None and chat.sentiment_min <= settings.negative_threshold
    return Triage(
        category=chat.category or result.category,
        category_source="chat" if chat.category else result.category_source, confidence=result.confidence,
        priority="urgent" if settings.urgent_when_angry and angry else result.priority,
        sentiment=result.sentiment, sentiment_label=chat.sentiment or result.sentiment_label,
        language=chat.language or result.language,
    )


def ticket_triage(*, tenant: Tenant, settings: AISettings, ticket: Ticket, message: Message,
                  chat: Conversation | None = None) -> Trace:
    """Category on the ticket's first message (or while it has none); sentiment and priority on every message.

    ``chat``: the conversation the ticket was made from; its labels seed the ticket's first triage.
    """
    started = time.monotonic()
    first = not ticket.category
    chat = chat if first else None
    text = f"{ticket.subject}\n{message.body}" if first else message.body
    result = analyse(tenant=tenant, settings=settings, text=text,
                     with_category=first and not (chat is not None and chat.category))
    result = _carried(settings, result, chat)
    ticket_services.ticket_set_triage(
        tenant=tenant, ticket=ticket, category=result.category or None, priority=result.priority,
        sentiment=result.sentiment_label, language=result.language if result.language != "und" else None,
    )
    team_id = settings.routing_rules.get(result.category) if result.category else None
    if team_id and ticket.team_id is None:
        ticket_services.ticket_update(tenant=tenant, ticket=ticket, actor=None, actor_label="routing rule",
                                      team_id=int(team_id))
    return _trace(tenant=tenant, source_id=message.id, text=text, result=result, started=started,
                  ticket_id=ticket.id, team_id=team_id)


def chat_triage(*, tenant: Tenant, settings: AISettings, conversation: Conversation, message: ChatMessage) -> Trace:
    """Sentiment and language of every customer chat message; the category until the conversation has one."""
    started = time.monotonic()
    result = analyse(tenant=tenant, settings=settings, text=message.text, with_category=not conversation.category)
    chat_services.conversation_set_triage(
        tenant=tenant, conversation=conversation, sentiment=result.sentiment_label, sentiment_score=result.sentiment,
        language=result.language if result.language != "und" else "", category=result.category,
    )
    return _trace(tenant=tenant, source_id=message.id, text=message.text, result=result, started=started,
                  conversation_id=conversation.id)


def _trace(*, tenant: Tenant, source_id: int, text: str, result: Triage, started: float, ticket_id: int | None = None,
           conversation_id: int | None = None, team_id: int | None = None) -> Trace:
    return Trace.objects.create(
        tenant=tenant, kind=Trace.Kind.TRIAGE, source_id=source_id, ticket_id=ticket_id,
        conversation_id=conversation_id, input_text=pii.redact(text).text[:4000], decision=result.category,
        reason=result.category_source, backend="triage", latency_ms=int((time.monotonic() - started) * 1000),
        details={"category": result.category, "confidence": result.confidence, "priority": result.priority,
                 "sentiment": result.sentiment, "language": result.language, "team_id": team_id},
    )
