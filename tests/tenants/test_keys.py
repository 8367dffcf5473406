"""Every key of a tenant-owned table leads with tenant_id (what Citus needs to distribute it), querysets state
their tenant, and the keys are rewritten with data in place. (A row pointing at another tenant's row:
tests/security/test_cross_tenant_references.py.)"""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from tenants.distribution import _constraints, tenant_foreign_keys, tenant_keys_apply
from tenants.rls import tenant_context, tenant_owned_models
from tests.factories import CustomerFactory, MessageFactory, TicketFactory
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def _unique_indexes(table: str) -> list[tuple[str, list[str]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, array_agg(a.attname ORDER BY k.ord)
            FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = %s::regclass AND i.indisunique
            GROUP BY i.indexrelid
            """,
            [table],
        )
        return [(name, list(columns)) for name, columns in cursor.fetchall()]


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.db_table)
def test_every_key_of_a_tenant_table_leads_with_tenant_id(model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        primary = _constraints(cursor, table, "p")
        foreign = _constraints(cursor, table, "f")
    assert [columns for _, columns, _ in primary] == [["tenant_id", "id"]]
    for name, columns in _unique_indexes(table):
        assert columns[0] == "tenant_id", f"{name} on {table} does not lead with tenant_id: {columns}"
    tenant_tables = {m._meta.db_table for m in tenant_owned_models()}
    to_tenant_tables = sorted(columns for _, columns, referenced in foreign if referenced in tenant_tables)
    expected = sorted(["tenant_id", field.column] for field in tenant_foreign_keys(model))
    assert to_tenant_tables == expected


def _statements(action) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        action()
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "SET"))]


def test_querysets_joins_and_lookups_state_the_tenant(acme):
    message = MessageFactory(tenant=acme)
    with tenant_context(acme.id):
        [join] = _statements(lambda: list(Message.objects.filter(ticket__subject="x")))
        ticket = Ticket.objects.get(id=message.ticket_id)
        [reverse] = _statements(lambda: list(ticket.messages.all()))
        fresh = Message.objects.get(id=message.id)
        [forward] = _statements(lambda: fresh.ticket)
        [update] = _statements(fresh.save)
    assert '"tickets_ticket"."tenant_id" = ("tickets_message"."tenant_id")' in join, join
    for sql in (join, reverse, forward, update):
        assert f'"tenant_id" = {acme.id}' in sql, sql
    # save() never writes the tenant column (Citus refuses to write a distribution column).
    assert update.startswith("UPDATE") and '"tenant_id" = %s' not in update.split("WHERE")[0]
    assert f'SET "tenant_id" = {acme.id}' not in update


def test_a_row_keeps_its_tenant_on_save(acme, globex):
    message = MessageFactory(tenant=acme)
    message.tenant_id = globex.id
    with tenant_context(acme.id):
        message.save(update_fields=["tenant"])
        assert Message.objects.get(id=message.id).tenant_id == acme.id


@pytest.mark.single_node  # the old keys cannot exist on a distributed table
@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_old_keys_are_rewritten_with_the_data_in_place(acme):
    """Today's schema from before the change: primary key on id, single-column references. migrate's post step
    gives the tenant-leading keys back without losing a row."""
    customer = CustomerFactory(tenant=acme)
    ticket = TicketFactory(tenant=acme, requester=customer)
    MessageFactory(tenant=acme, ticket=ticket)
    owner = connections["owner"]
    with transaction.atomic(using="owner"), owner.cursor() as cursor:
        # CASCADE drops the composite references to tickets (messages, events, chats, merges) with the key.
        cursor.execute("ALTER TABLE tickets_ticket DROP CONSTRAINT tickets_ticket_pkey CASCADE, ADD PRIMARY KEY (id)")
        cursor.execute("ALTER TABLE tickets_message ADD CONSTRAINT old_fk FOREIGN KEY (ticket_id) "
                       "REFERENCES tickets_ticket (id) DEFERRABLE INITIALLY DEFERRED")
    tenant_keys_apply("owner")
    with owner.cursor() as cursor:
        assert [c for _, c, _ in _constraints(cursor, "tickets_ticket", "p")] == [["tenant_id", "id"]]
        names = {name for name, _, _ in _constraints(cursor, "tickets_message", "f")}
        events = {name for name, _, _ in _constraints(cursor, "tickets_ticketevent", "f")}
    assert "old_fk" not in names and "tickets_message_ticket_id_tenant_fk" in names
    assert "tickets_ticketevent_ticket_id_tenant_fk" in events
    with tenant_context(acme.id):
        assert Message.objects.filter(ticket_id=ticket.id).count() == 1


@pytest.mark.single_node
@pytest.mark.django_db(databases=["default", "owner"])
def test_tenant_placement_explains_that_one_server_holds_every_tenant():
    with pytest.raises(CommandError, match="not a Citus cluster"):
        call_command("tenant_placement")
