from __future__ import annotations

import io

from ai import seed
from ai.models import AISettings
from tenants.rls import tenant_context
from tests.factories import TeamFactory


def test_the_demo_seed_routes_to_the_demo_teams_and_is_idempotent(acme) -> None:
    cards = TeamFactory(tenant=acme, name="Cards")
    with tenant_context(acme.id):
        seed.seed(tenant=acme, stdout=io.StringIO())
        seed.seed(tenant=acme, stdout=io.StringIO())
        row = AISettings.objects.for_tenant(acme).get()
    assert row.auto_reply_chat and row.auto_reply_email
    assert row.routing_rules == {"cards": cards.id, "fees-and-limits": cards.id}
    assert row.human_only_categories == ["security-and-fraud"]
