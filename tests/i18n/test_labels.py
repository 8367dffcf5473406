"""Codes the models record (ticket events, AI decisions and reasons) reach a Chinese reader as words."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tenants.models import Tenant, User
from tenants.rls import tenant_context
from tenants.urls_helpers import tenant_reverse
from tests.factories import TraceFactory
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


def test_a_chinese_agent_reads_the_ticket_history_in_chinese(client: Client, acme: Tenant, bob: User) -> None:
    bob.language = "zh-hans"
    bob.save()
    with tenant_context(acme.id):
        ticket = services.ticket_create(tenant=acme, subject="Card lost", body="I lost my card.", channel="web",
                                        requester_email="ann@example.test")
        services.ticket_set_status(tenant=acme, ticket=ticket, status=Status.PENDING, actor=bob)
    client.force_login(bob)
    body = client.get(tenant_reverse(acme, "tickets:detail", ticket_id=ticket.id)).content.decode()
    history = body.split('<ul class="list">', 1)[1].split("</ul>", 1)[0]
    assert "已创建" in history and "状态已更改" in history
    assert "新建 → 待处理" in history
    assert not re.search(r"status\.changed|ticket\.created|\bnew\b|\bpending\b", history)


def test_a_chinese_admin_reads_the_ai_overview_without_codes(client: Client, acme: Tenant, alice: User) -> None:
    alice.language = "zh-hans"
    alice.save()
    TraceFactory(tenant=acme, kind="chat_answer", decision="handoff", reason="asked_for_human", backend="extractive")
    TraceFactory(tenant=acme, kind="suggestion", decision="suggest", reason="unsure", backend="extractive")
    TraceFactory(tenant=acme, kind="triage", decision="cards", reason="zero-shot", backend="triage")
    client.force_login(alice)
    body = client.get("/t/acme/ai/").content.decode()
    runs = body.rsplit('<table class="table">', 1)[1]  # Recent runs
    for words in ("会话回答", "建议回复", "智能分拣", "已转人工", "客户要求转人工", "不确定", "零样本", "摘录式"):
        assert words in body, words
    for code in ("chat_answer", "asked_for_human", "handoff", "unsure", "zero-shot", "extractive", "triage"):
        assert code not in runs, code


def test_english_stays_english(client: Client, acme: Tenant, alice: User) -> None:
    alice.language = "en"
    alice.save()
    TraceFactory(tenant=acme, kind="chat_answer", decision="handoff", reason="asked_for_human")
    client.force_login(alice)
    body = client.get("/t/acme/ai/").content.decode()
    assert "Chat answer" in body and "Handed off" in body and "the customer asked for a person" in body


def test_assignee_and_team_changes_read_as_names(client, alice, bob, acme) -> None:
    from tenants.rls import tenant_context
    from tests.factories import TeamFactory, TicketFactory
    from tickets import services

    with tenant_context(acme.id):
        ticket = TicketFactory(tenant=acme, subject="Where is my parcel?")
        team = TeamFactory(tenant=acme, name="Returns desk")
        services.ticket_update(tenant=acme, ticket=ticket, actor=alice, team_id=team.id)
        services.ticket_assign(tenant=acme, ticket=ticket, assignee_id=bob.id, actor=alice)
    client.force_login(alice)
    page = client.get(f"/t/acme/tickets/{ticket.id}/").content.decode()
    assert "Returns desk" in page and "→ Bob" in page
