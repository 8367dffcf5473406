"""Admin metrics split by the language of the customer's message: grouping, names, and the total unchanged."""

from __future__ import annotations

import pytest

from ai.metrics import answer_metrics, language_group, language_name, metrics_by_language
from tenants.models import Tenant
from tenants.rls import tenant_context
from tests.factories import ConversationFactory, TraceFactory

pytestmark = pytest.mark.django_db


def _answer(tenant: Tenant, language: str, *, latency_ms: int = 100, csat_score: int | None = None) -> None:
    conversation = ConversationFactory(tenant=tenant, csat_score=csat_score)
    TraceFactory(tenant=tenant, conversation_id=conversation.id, decision="answer", reason="", language=language,
                 latency_ms=latency_ms)


def _handoff(tenant: Tenant, language: str) -> None:
    conversation = ConversationFactory(tenant=tenant, handoff_reason="low_confidence")
    TraceFactory(tenant=tenant, conversation_id=conversation.id, decision="handoff", language=language)


@pytest.mark.parametrize(("code", "group"), [("en", "en"), ("zh-cn", "zh"), ("zh-CN", "zh"), ("zh_Hans", "zh"),
                                             ("zh", "zh"), ("", "unknown"), ("und", "unknown")])
def test_codes_are_grouped_by_their_primary_subtag(code: str, group: str) -> None:
    assert language_group(code) == group


@pytest.mark.parametrize(("group", "name"), [("en", "English"), ("zh", "Chinese (中文)"), ("fr", "French (français)"),
                                             ("unknown", "Unknown"), ("xx", "xx")])
def test_languages_are_named_in_words(group: str, name: str) -> None:
    assert language_name(group) == name


def test_the_figures_are_split_by_language_with_the_total_unchanged(acme, globex) -> None:
    _answer(acme, "en", latency_ms=100)
    _handoff(acme, "en")
    _answer(acme, "zh-cn", latency_ms=300)
    _answer(acme, "zh", latency_ms=500, csat_score=1)  # rated badly: answered, not resolved
    _handoff(acme, "")
    for _ in range(3):
        _answer(globex, "en")  # Globex's runs must never count in acme's figures
        _answer(globex, "fr")

    with tenant_context(acme.id):
        breakdown = metrics_by_language(tenant=acme)
        total = answer_metrics(tenant=acme)

    assert breakdown.total == total
    assert (total.runs, total.answered, total.handed_off, total.resolved) == (5, 3, 2, 2)
    rows = {row.code: row for row in breakdown.rows}
    assert [row.code for row in breakdown.rows] == ["zh", "en", "unknown"]  # most runs, then by name; unknown last
    assert rows["zh"].name == "Chinese (中文)" and rows["unknown"].name == "Unknown"
    en, zh, unknown = rows["en"].metrics, rows["zh"].metrics, rows["unknown"].metrics
    assert (en.runs, en.answered, en.handed_off, en.resolved) == (2, 1, 1, 1)
    assert (en.handoff_rate, en.resolution_rate, en.latency_p50_ms) == (0.5, 0.5, 100)
    assert (zh.runs, zh.answered, zh.handed_off, zh.resolved) == (2, 2, 0, 1)
    assert (zh.resolution_rate, zh.latency_p50_ms, zh.latency_p95_ms) == (0.5, 300, 500)
    assert (unknown.runs, unknown.handed_off, unknown.resolution_rate, unknown.latency_p50_ms) == (1, 1, 0.0, None)


def test_traces_from_before_the_language_column_are_grouped_by_their_details(acme) -> None:
    TraceFactory(tenant=acme, decision="handoff", language="", details={"language": "zh-tw"})
    with tenant_context(acme.id):
        breakdown = metrics_by_language(tenant=acme)
    assert [(row.code, row.metrics.runs) for row in breakdown.rows] == [("zh", 1)]


def test_no_runs_give_no_rows(acme, globex) -> None:
    _answer(globex, "en")
    with tenant_context(acme.id):
        breakdown = metrics_by_language(tenant=acme)
    assert breakdown.rows == [] and breakdown.total.runs == 0 and breakdown.total.resolution_rate is None
