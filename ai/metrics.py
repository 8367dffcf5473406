"""Admin metrics: automated resolution counted honestly, hand-off rate, answer latency.

A bot answer counts as a resolution only when, afterwards, the customer did not ask for a human, did not come back
on the same ticket or conversation within 72 hours, and did not rate the service badly (1 or 2 out of 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf.locale import LANG_INFO
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


def _answer_traces(tenant: Tenant, days: int) -> list[Trace]:
    since = timezone.now() - timedelta(days=days)
    return list(Trace.objects.for_tenant(tenant).filter(
        kind__in=[Trace.Kind.CHAT_ANSWER, Trace.Kind.TICKET_ANSWER], created_at__gte=since,
    ).order_by("id"))


def _summarise(tenant: Tenant, traces: list[Trace], judged: dict[int, bool]) -> Metrics:
    """The figures of some answer traces. ``judged`` remembers each answer's resolution (one or two queries each)
    across calls, so the per-language rows reuse what the total already looked up."""
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
        if trace.id not in judged:
            judged[trace.id] = _chat_resolved(tenant, trace) if key[0] == "chat" else _ticket_resolved(tenant, trace)
        resolved += judged[trace.id]
    threads = len(last_answer.keys() | handed_threads)
    latencies = [t.latency_ms for t in answered]
    return Metrics(
        runs=len(traces), answered=len(answered), handed_off=len(handed_off), resolved=resolved,
        handoff_rate=len(handed_off) / len(traces) if traces else None,
        resolution_rate=resolved / threads if threads else None,
        latency_p50_ms=_percentile(latencies, 0.5), latency_p95_ms=_percentile(latencies, 0.95), reasons=reasons,
    )


def answer_metrics(*, tenant: Tenant, days: int = WINDOW_DAYS) -> Metrics:
    return _summarise(tenant, _answer_traces(tenant, days), {})


UNKNOWN_LANGUAGE = "unknown"
# Names Django's locale table lacks or words differently ("zh" alone is not in it; it has zh-hans, "Simplified").
LANGUAGE_NAMES = {"zh": ("Chinese", "中文"), UNKNOWN_LANGUAGE: ("Unknown", "Unknown")}


def language_group(code: str) -> str:
    """The primary subtag of a language code ("zh-CN", "zh_Hans" and "zh" are all "zh"); none or "und" is unknown."""
    primary = code.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary and primary != "und" else UNKNOWN_LANGUAGE


def language_name(group: str) -> str:
    """The language in words, with its own name when that differs: "English", "Chinese (中文)", "French (français)"."""
    name, local = LANGUAGE_NAMES.get(group) or (
        (LANG_INFO[group]["name"], LANG_INFO[group]["name_local"]) if group in LANG_INFO else (group, group))
    return name if local == name else f"{name} ({local})"


def trace_language(trace: Trace) -> str:
    # Traces recorded before the language column kept the detected language in details.
    return language_group(trace.language or str(trace.details.get("language", "")))


@dataclass(frozen=True)
class LanguageMetrics:
    code: str
    name: str
    metrics: Metrics


@dataclass(frozen=True)
class LanguageBreakdown:
    """One row per language of the customers' messages, most runs first (unknown last), and the total. A thread in
    which the customer switched languages counts in each of its languages' rows, so rows may add up to more."""

    rows: list[LanguageMetrics]
    total: Metrics


def metrics_by_language(*, tenant: Tenant, days: int = WINDOW_DAYS) -> LanguageBreakdown:
    traces = _answer_traces(tenant, days)
    judged: dict[int, bool] = {}
    total = _summarise(tenant, traces, judged)
    groups: dict[str, list[Trace]] = {}
    for trace in traces:
        groups.setdefault(trace_language(trace), []).append(trace)
    rows = [LanguageMetrics(code=code, name=language_name(code), metrics=_summarise(tenant, group, judged))
            for code, group in groups.items()]
    rows.sort(key=lambda r: (r.code == UNKNOWN_LANGUAGE, -r.metrics.runs, r.name))
    return LanguageBreakdown(rows=rows, total=total)
