"""A row cannot reference another tenant's row, even written past the ORM: the database's composite foreign keys
(tenant_id, x_id) -> (tenant_id, id) refuse it (tenants/distribution.py)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

from tenants.rls import tenant_context
from tests.factories import ArticleFactory, ChunkFactory, ConversationFactory, MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db

# (table, column, factory of the referencing row, factory of the other tenant's referenced row)
CASES = [
    ("tickets_message", "ticket_id", MessageFactory, TicketFactory),
    ("kb_chunk", "article_id", ChunkFactory, ArticleFactory),
    ("chat_conversation", "ticket_id", ConversationFactory, TicketFactory),
]


@pytest.mark.parametrize(("table", "column", "mine", "theirs"), CASES, ids=[c[0] for c in CASES])
def test_a_row_cannot_point_at_another_tenants_row(acme, globex, table, column, mine, theirs):
    row = mine(tenant=acme)
    other = theirs(tenant=globex)
    with pytest.raises(IntegrityError), tenant_context(acme.id), connection.cursor() as cursor:
        # The policy lets acme write its own row; only the key can tell that the id it points at is globex's.
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [other.id, row.id])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
