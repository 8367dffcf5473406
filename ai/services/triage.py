"""Triage of ticket messages: category, priority, sentiment and language, written through tickets' services."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ai import pii
from ai.backends import language, sentiment
from ai.backends.classifier import zero_shot
from ai.models import AISettings, Trace
from ai.retrieval import category_descriptions
from ai.selectors import active_classifier
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


def ticket_triage(*, tenant: Tenant, settings: AISettings, ticket: Ticket, message: Message) -> Trace:
    """Category on the ticket's first message (or while it has none); sentiment and priority on every message."""
    started = time.monotonic()
    first = not ticket.category
    text = f"{ticket.subject}\n{message.body}" if first else message.body
    result = analyse(tenant=tenant, settings=settings, text=text, with_category=first)
    ticket_services.ticket_set_triage(
        tenant=tenant, ticket=ticket, category=result.category or None, priority=result.priority,
        sentiment=result.sentiment_label, language=result.language if result.language != "und" else None,
    )
    team_id = settings.routing_rules.get(result.category) if result.category else None
    if team_id and ticket.team_id is None:
        ticket_services.ticket_update(tenant=tenant, ticket=ticket, actor=None, actor_label="routing rule",
                                      team_id=int(team_id))
    return Trace.objects.create(
        tenant=tenant, kind=Trace.Kind.TRIAGE, source_id=message.id, ticket_id=ticket.id,
        input_text=pii.redact(text).text[:4000], decision=result.category, reason=result.category_source,
        backend="triage", latency_ms=int((time.monotonic() - started) * 1000),
        details={"category": result.category, "confidence": result.confidence, "priority": result.priority,
                 "sentiment": result.sentiment, "language": result.language, "team_id": team_id},
    )
