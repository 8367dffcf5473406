"""Queue search and customer lookup in Chinese, English and both mixed."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connections, transaction

from helpdesk.segmentation import bigram_terms, bigram_text
from tenants.rls import tenant_context
from tickets import selectors, services
from tickets.models import Customer, Ticket
from tickets.selectors import TicketFilters


def _create(tenant, subject: str, body: str = "请尽快处理。", email: str = "li@example.cn"):
    return services.ticket_create(tenant=tenant, subject=subject, body=body, channel="web",
                                  requester_email=email, requester_name="李雷")


def _found(tenant, user, q: str) -> list[str]:
    return [t.subject for t in selectors.ticket_list(tenant=tenant, user=user, filters=TicketFilters(q=q))]


class TestBigrams:
    def test_each_han_run_becomes_its_pairs_and_its_last_character(self):
        assert bigram_text("还没到 OK") == " 还没 没到 到  OK"
        assert bigram_text("no Chinese here") == "no Chinese here"

    def test_query_words_become_pairs_and_single_characters_prefixes(self):
        assert bigram_terms("快递") == ["快递"]
        assert bigram_terms("没到") == ["没到"]  # jieba splits it into 没 / 到 on its own; pairs keep it whole
        assert bigram_terms("快递没到") == ["快递", "没到"]
        assert bigram_terms("到") == ["到:*"]
        assert bigram_terms("iPhone 充电器") == ["充电", "电器"]
        assert bigram_terms("card arrived") == []


@pytest.mark.django_db
class TestQueueSearch:
    @pytest.fixture
    def tickets(self, acme, globex):
        with tenant_context(globex.id):
            _create(globex, "我的快递还没到")  # Charlie's tenant: must never come back
        with tenant_context(acme.id):
            _create(acme, "我的快递三天了还没到")
            _create(acme, "iPhone充电器坏了", body="The charger stopped working after two days.")
            _create(acme, "Card not arrived", body="My card has not arrived yet.")
            _create(acme, "发票", body="能开增值税专用发票吗？")

    @pytest.mark.parametrize(("q", "subjects"), [
        ("快递", ["我的快递三天了还没到"]),
        ("没到", ["我的快递三天了还没到"]),
        ("快递没到", ["我的快递三天了还没到"]),
        ("三天", ["我的快递三天了还没到"]),
        ("天", ["我的快递三天了还没到"]),  # one character: any ticket that holds it
        ("快递到了", []),  # every word is required
        ("充电器", ["iPhone充电器坏了"]),
        ("iphone 充电器", ["iPhone充电器坏了"]),
        ("chargers 坏了", ["iPhone充电器坏了"]),  # English stemmed as before, mixed with Chinese
        ("iphone 快递", []),
        ("arrived", ["Card not arrived"]),
        ("增值税", ["发票"]),  # found in the first message's body
        ("专用发票", ["发票"]),
    ])
    def test_it_finds_chinese_english_and_mixed_words(self, acme, alice, tickets, q, subjects):
        with tenant_context(acme.id):
            assert _found(acme, alice, q) == subjects

    def test_a_reply_in_chinese_is_searchable(self, acme, alice, tickets):
        with tenant_context(acme.id):
            ticket = Ticket.objects.get(subject="Card not arrived")
            services.ticket_reply(tenant=acme, ticket=ticket, author=alice, body="已为您补寄新卡，请注意查收。")
            assert _found(acme, alice, "补寄") == ["Card not arrived"]
            assert _found(acme, alice, "查收 card") == ["Card not arrived"]


@pytest.mark.django_db
def test_customer_lookup_finds_chinese_names(acme, globex):
    with tenant_context(globex.id):
        Customer.objects.create(tenant=globex, email="wang@globex.cn", name="王小明")
    with tenant_context(acme.id):
        Customer.objects.create(tenant=acme, email="wang@example.cn", name="王小明")
        Customer.objects.create(tenant=acme, email="ann@example.test", name="Ann Lee")
        assert [c.email for c in selectors.customer_list(tenant=acme, q="小明")] == ["wang@example.cn"]
        assert [c.email for c in selectors.customer_list(tenant=acme, q="lee")] == ["ann@example.test"]


# Migrating tickets back and forth rewrites every shard on a cluster (40 s); the migration ran before any cluster.
@pytest.mark.single_node
@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_the_migration_reindexes_existing_chinese_tickets(acme, alice):
    with tenant_context(acme.id):
        _create(acme, "我的快递三天了还没到")
        _create(acme, "Card not arrived")
    with connections["owner"].cursor() as cursor:  # the vectors as the english-only code left them
        cursor.execute("UPDATE tickets_ticket SET search_vector = setweight(to_tsvector('english', subject), 'A')")
    with tenant_context(acme.id):
        assert _found(acme, alice, "快递") == []
    migration = importlib.import_module("tickets.migrations.0005_ticket_search_han_pairs")
    with transaction.atomic(using="owner"):
        migration.rebuild_search_vectors(apps, SimpleNamespace(connection=connections["owner"]))
    with tenant_context(acme.id):
        assert _found(acme, alice, "快递") == ["我的快递三天了还没到"]
        assert _found(acme, alice, "没到 请尽快") == ["我的快递三天了还没到"]
        assert _found(acme, alice, "card") == ["Card not arrived"]
