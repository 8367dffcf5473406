"""Ticket search must be able to use its GIN index under row-level security."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from helpdesk.segmentation import bigram_text
from tenants.rls import tenant_context
from tickets import selectors, services
from tickets.models import Customer, Ticket
from tickets.selectors import TicketFilters


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_a_rare_word_is_found_through_the_gin_index(acme, alice):
    with tenant_context(acme.id):
        services.ticket_create(tenant=acme, subject="My card never arrived", body="Still waiting for it.",
                               channel="web", requester_email="ann@example.test", requester_name="Ann")
        kim = Customer.objects.create(tenant=acme, email="kim@example.test", name="Kim")
        Ticket.objects.bulk_create([Ticket(tenant=acme, number=10 + i, subject=f"Exchange rate question {i}",
                                           requester=kim) for i in range(3000)])
        Ticket.objects.filter(tenant=acme).exclude(number=1).update(subject="Exchange rate question")
    with connections["owner"].cursor() as cursor:  # statistics as autovacuum would leave them (owner only)
        cursor.execute("UPDATE tickets_ticket SET search_vector = to_tsvector('english', subject) "
                       "WHERE search_vector IS NULL")
        cursor.execute("ANALYZE tickets_ticket, tickets_customer, tickets_team")
    with tenant_context(acme.id):
        queryset = selectors.ticket_list(tenant=acme, user=alice, filters=TicketFilters(q="card arrived"))
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert [t.subject for t in queryset] == ["My card never arrived"]
    # Under row-level security a WHERE clause becomes an index condition only if its function is LEAKPROOF
    # (tenants/rls.py marks full-text match so); otherwise this plan reads all 3,001 rows of the tenant.
    assert "Bitmap Index Scan on ticket_search" in plan, plan


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
@pytest.mark.parametrize("q", ["快递没到", "天", "iphone 快递"])
def test_chinese_and_mixed_words_are_found_through_the_gin_index(acme, alice, q):
    with tenant_context(acme.id):
        services.ticket_create(tenant=acme, subject="iPhone 我的快递三天了还没到", body="请帮我查一下。",
                               channel="web", requester_email="li@example.cn", requester_name="李雷")
        kim = Customer.objects.create(tenant=acme, email="kim@example.test", name="Kim")
        Ticket.objects.bulk_create([Ticket(tenant=acme, number=10 + i, subject=f"汇率问题 {i}", requester=kim)
                                    for i in range(3000)])
        Ticket.objects.filter(tenant=acme).exclude(number=1).update(subject="汇率问题")
    with connections["owner"].cursor() as cursor:
        cursor.execute("UPDATE tickets_ticket SET search_vector = to_tsvector('english', %s) "
                       "WHERE search_vector IS NULL", [bigram_text("汇率问题")])
        # As autovacuum leaves it: until a VACUUM, GIN's pending list holds the 3,000 new rows' pairs, and its cost
        # estimate makes the planner read the table instead.
        cursor.execute("VACUUM ANALYZE tickets_ticket, tickets_customer, tickets_team")
    with tenant_context(acme.id):
        queryset = selectors.ticket_list(tenant=acme, user=alice, filters=TicketFilters(q=q))
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert [t.subject for t in queryset] == ["iPhone 我的快递三天了还没到"]
    assert "Bitmap Index Scan on ticket_search" in plan, plan
