"""Every AI run leaves a trace: inputs (redacted), retrieved chunks and scores, decision, backend, latency."""

from __future__ import annotations

from ai.answering import Outcome
from ai.models import Trace
from tenants.models import Tenant


def trace_record(*, tenant: Tenant, kind: str, source_id: int, outcome: Outcome, conversation_id: int | None = None,
                 ticket_id: int | None = None, delivered: bool = True) -> Trace:
    return Trace.objects.create(
        tenant=tenant, kind=kind, source_id=source_id, conversation_id=conversation_id, ticket_id=ticket_id,
        input_text=outcome.input_text, query=outcome.query, hits=outcome.hits, decision=outcome.action,
        reason=outcome.reason, backend=outcome.backend, model=outcome.model, output_text=outcome.text,
        citations=outcome.citations, latency_ms=outcome.latency_ms, language=outcome.language[:16],
        details={"sentiment": outcome.sentiment, "category": outcome.category,
                 "redacted": outcome.redacted, "delivered": delivered, "summary": outcome.summary,
                 "generation_score": outcome.generation_score, "confidence": outcome.confidence,
                 "evidence": outcome.evidence, "draft": outcome.draft,
                 "draft_citations": outcome.draft_citations},
    )
