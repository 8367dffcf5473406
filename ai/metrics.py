"""Admin metrics: automated resolution counted honestly, hand-off rate, answer latency.

A bot answer counts as a resolution only when, afterwards, the customer did not ask for a human, did not come back
on the same ticket or conversation within 72 hours, and did not rate the service badly (1 or 2 out of 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from ai.models import Trace
from ai.policy import wants_human
from tenants.models import Tenant

REOPEN_WINDOW = timedelta(hours=72)
BAD_RATING = 2
WINDOW_DAYS = 30


@dataclass(frozen=True)
class Metrics:
    runs: int
    answered: int
    handed_off: int
    resolved: int
    handoff_rate: float | None
    resolution_rate: float | None
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    reasons: dict[str, int]


def _percentile(values: list[int], q: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ticket_resolved(tenant: Tenant, trace: Trace) -> bool:
    from tickets.models import AuthorType, Message, Ticket

    if trace.ticket_id is None:
        return False
    ticket = Ticket.objects.for_tenant(tenant).filter(id=trace.ticket_id).only("csat_rating").first()
    if ticket is None or (ticket.csat_rating is not None and ticket.csat_rating <= BAD_RATING):
        return False
    later = Message.objects.for_tenant(tenant).filter(
        ticket_id=trace.ticket_id, author_type=AuthorType.CUSTOMER, id__gt=trace.source_id,
        created_at__lte=trace.created_at + REOPEN_WINDOW,
    ).values_list("body", flat=True)
    return not list(later[:1])


def _chat_resolved(tenant: Tenant, trace: Trace) -> bool:
    """Later traces of the same conversation show the customer's next messages and whether they wanted a human;
    the conversation itself knows whether it was ever handed off and how the customer rated it."""
    later = Trace.objects.for_tenant(tenant).filter(
        kind=Trace.Kind.CHAT_ANSWER, conversation_id=trace.conversation_id, id__gt=trace.id,
        created_at__lte=trace.created_at + REOPEN_WINDOW,
    ).only("input_text", "reason")
    if any(t.reason == "asked_for_human" or wants_human(t.input_text) for t in later):
        return False
    from chat.models import Conversation

    if trace.conversation_id is None:
        return False
    conversation = Conversation.objects.for_tenant(tenant).filter(id=trace.conversation_id).only(
        "csat_score", "handoff_reason").first()
    if conversation is None or conversation.handoff_reason:
        return False  # handed to a person at some point (button, request or the bot's own decision)
    return not (conversation.csat_score is not None and conversation.csat_score <= BAD_RATING)


def answer_metrics(*, tenant: Tenant, days: int = WINDOW_DAYS) -> Metrics:
    since = timezone.now() - timedelta(days=days)
    traces = list(Trace.objects.for_tenant(tenant).filter(
        kind__in=[Trace.Kind.CHAT_ANSWER, Trace.Kind.TICKET_ANSWER], created_at__gte=since,
    ).order_by("id"))
    answered = [t for t in traces if t.decision == "answer" and t.details.get("delivered", True)]
    handed_off = [t for t in traces if t.decision == "handoff"]
    reasons: dict[str, int] = {}
    for trace in handed_off:
        reasons[trace.reason] = reasons.get(trace.reason, 0) + 1
    # One resolution per conversation or ticket, judged on the bot's last answer in it.
    last_answer: dict[tuple[str, int | None], Trace] = {}
    for trace in answered:
        key = ("chat", trace.conversation_id) if trace.kind == Trace.Kind.CHAT_ANSWER else ("ticket", trace.ticket_id)
        last_answer[key] = trace
    handed_threads = {("chat", t.conversation_id) if t.kind == Trace.Kind.CHAT_ANSWER else ("ticket", t.ticket_id)
                      for t in handed_off}
    resolved = 0
    for key, trace in last_answer.items():
        if key in handed_threads and key[0] == "chat":
            continue
        ok = _chat_resolved(tenant, trace) if key[0] == "chat" else _ticket_resolved(tenant, trace)
        resolved += ok
    threads = len(last_answer.keys() | handed_threads)
    latencies = [t.latency_ms for t in answered]
    return Metrics(
        runs=len(traces), answered=len(answered), handed_off=len(handed_off), resolved=resolved,
        handoff_rate=len(handed_off) / len(traces) if traces else None,
        resolution_rate=resolved / threads if threads else None,
        latency_p50_ms=_percentile(latencies, 0.5), latency_p95_ms=_percentile(latencies, 0.95), reasons=reasons,
    )
