"""On a Citus cluster (coordinator + 2 workers, ``python -m helpdesk.embedded exec --cluster 2``): the tables are
distributed by tenant, a tenant's KB search and ticket list run on one worker, row-level security holds on every
node, and a tenant can be moved to a worker of its own while it is served."""

from __future__ import annotations

import os
import re
import threading
import time
from urllib.parse import unquote, urlsplit

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from helpdesk.embedded import APP_PASSWORD, APP_ROLE, _with_database
from kb import search
from kb.models import ArticleStatus
from tenants.distribution import tenant_placements
from tenants.rls import tenant_context, tenant_owned_models
from tests.factories import ChunkFactory, MessageFactory, TicketFactory
from tickets import selectors as ticket_selectors
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.cluster, pytest.mark.django_db]

VECTOR = [1.0] + [0.0] * 383


def _task_count(plan: str) -> int:
    counts = [int(n) for n in re.findall(r"Task Count: (\d+)", plan)]
    assert counts, plan
    return max(counts)


def _database() -> str:
    return str(connection.settings_dict["NAME"])


def _worker_urls(*, app_role: bool) -> list[str]:
    urls = [_with_database(url, _database()) for url in os.environ["CLUSTER_WORKER_URLS"].split()]
    if app_role:
        urls = [url.replace("postgres://postgres@", f"postgres://{APP_ROLE}:{APP_PASSWORD}@", 1) for url in urls]
    return [url.replace("postgres://", "postgresql://", 1) for url in urls]


def test_tenant_tables_are_distributed_by_tenant_and_the_rest_replicated():
    with connection.cursor() as cursor:
        cursor.execute("SELECT logicalrelid::regclass::text, partmethod, column_to_column_name(logicalrelid, "
                       "partkey), colocationid FROM pg_dist_partition")
        tables = {name.strip('"'): (method, column, group) for name, method, column, group in cursor.fetchall()}
    tenant_tables = {model._meta.db_table for model in tenant_owned_models()}
    assert {tables[t][:2] for t in tenant_tables} == {("h", "tenant_id")}
    assert len({tables[t][2] for t in tenant_tables}) == 1  # co-located: a tenant's rows share a worker
    for shared in ("tenants_tenant", "tenants_user", "django_content_type", "django_session"):
        assert tables[shared][0] == "n"  # reference tables, on every node


def test_a_tenants_kb_search_runs_on_one_worker(acme):
    ChunkFactory.create_batch(3, tenant=acme, revision__article__status=ArticleStatus.PUBLISHED, text="Refunds")
    with tenant_context(acme.id), CaptureQueriesContext(connection) as queries:
        hits = search.search(tenant=acme, query="refund policy", model="test-model", query_vector=VECTOR)
        statement = next(q["sql"] for q in queries.captured_queries if "WITH vec AS MATERIALIZED" in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            cursor.execute(f"EXPLAIN {statement}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
    assert hits and _task_count(plan) == 1, plan
    assert "Router" in plan or "Task Count: 1" in plan


def test_a_tenants_ticket_list_and_ticket_page_run_on_one_worker(acme, alice):
    ticket = TicketFactory(tenant=acme)
    MessageFactory.create_batch(2, tenant=acme, ticket=ticket)
    with tenant_context(acme.id):
        queue = ticket_selectors.ticket_list(tenant=acme, user=alice)
        assert _task_count(queue.explain()) == 1
        messages = ticket_selectors.ticket_messages(tenant=acme, ticket=ticket)
        assert _task_count(messages.explain()) == 1
        # A related manager (ticket.messages) and a join state the tenant too.
        assert _task_count(ticket.messages.all().explain()) == 1
        assert _task_count(Message.objects.filter(ticket__subject=ticket.subject).explain()) == 1


@pytest.mark.django_db(transaction=True)
def test_without_the_tenant_setting_no_node_returns_a_row(acme):
    ticket = TicketFactory(tenant=acme)
    MessageFactory(tenant=acme, ticket=ticket)
    coordinator = connections["default"].settings_dict
    with psycopg.connect(dbname=coordinator["NAME"], user=coordinator["USER"], password=coordinator["PASSWORD"],
                         host=coordinator["HOST"], port=coordinator["PORT"] or None, autocommit=True) as app:
        assert app.execute("SELECT count(*) FROM tickets_ticket").fetchone() == (0,)
        with app.transaction():
            app.execute(f"SET LOCAL app.tenant_id = '{acme.id}'")
            assert app.execute("SELECT count(*) FROM tickets_ticket").fetchone() == (1,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT shard_name, nodename FROM citus_shards WHERE table_name IN "
                       "('tickets_ticket'::regclass, 'tickets_message'::regclass)")
        shards = cursor.fetchall()
    seen = 0
    for owner_url, app_url in zip(_worker_urls(app_role=False), _worker_urls(app_role=True), strict=True):
        node = unquote(urlsplit(owner_url).query.partition("host=")[2])
        on_node = [name for name, nodename in shards if nodename == node]
        assert on_node, node
        with psycopg.connect(app_url, autocommit=True) as app, psycopg.connect(owner_url, autocommit=True) as su:
            # Through the worker's copy of the distributed table and straight on each shard: nothing.
            assert app.execute("SELECT count(*) FROM tickets_ticket").fetchone() == (0,)
            for shard in on_node:
                assert app.execute(f"SELECT count(*) FROM {shard}").fetchone() == (0,)  # type: ignore[arg-type]
                seen += su.execute(f"SELECT count(*) FROM {shard}").fetchone()[0]  # type: ignore[arg-type,index]
    assert seen == 2  # the rows are there, on the workers; the policy hides them


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_a_tenant_moves_to_a_worker_of_its_own_while_it_is_served(acme, globex, capsys):
    for tenant in (acme, globex):
        MessageFactory.create_batch(3, tenant=tenant)
    before = {p.tenant_id: p for p in tenant_placements()}
    errors: list[BaseException] = []
    written: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        try:
            while not stop.is_set():
                try:
                    with tenant_context(acme.id):
                        ticket = Ticket.objects.order_by("id").first()
                        assert ticket is not None
                        written.append(MessageFactory(tenant=acme, ticket=ticket).id)
                        Message.objects.filter(ticket=ticket).count()
                except BaseException as error:
                    errors.append(error)
                time.sleep(0.05)
        finally:
            connections.close_all()

    server = threading.Thread(target=serve)
    server.start()
    try:
        call_command("tenant_placement", "--move", acme.slug)
    finally:
        stop.set()
        server.join()
    moved = next(p for p in tenant_placements() if p.tenant_id == acme.id)
    assert not errors, errors
    assert len(written) > 5
    assert moved.isolated and moved.node != before[acme.id].node
    after = {p.tenant_id: p for p in tenant_placements()}
    assert not after[globex.id].isolated and after[globex.id].node == before[globex.id].node
    with tenant_context(acme.id):
        assert Message.objects.count() == 3 + len(written)
    with tenant_context(globex.id):
        assert Message.objects.count() == 3
    call_command("tenant_placement")
    listing = capsys.readouterr().out
    assert re.search(rf"^{acme.slug}\s+{re.escape(moved.node)}:\d+\s+{moved.shard_id}\s.*yes$", listing, re.M)


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_tenant_placement_refuses_an_unknown_tenant_or_worker(acme):
    with pytest.raises(CommandError, match="No tenant"):
        call_command("tenant_placement", "--move", "nobody")
    with pytest.raises(CommandError, match="not an active worker"):
        call_command("tenant_placement", "--move", acme.slug, "--to", "/nowhere")
