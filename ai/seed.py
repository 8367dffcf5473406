"""Demo AI settings for Northwind Bank (called by ``manage.py seed_demo`` inside the tenant's context). Idempotent."""

from __future__ import annotations

from typing import IO, Any

from ai.services.settings import settings_get, settings_update
from tenants.models import Tenant
from tickets import selectors as ticket_selectors

ROUTES = {
    "cards": "Cards", "fees-and-limits": "Cards", "payments-and-transfers": "Payments", "top-ups": "Payments",
    "exchange-and-currencies": "Payments", "accounts-and-verification": "Accounts", "app-and-technical": "Accounts",
}


def seed(*, tenant: Tenant, stdout: IO[str] | Any) -> None:
    teams = {team.name: team.id for team in ticket_selectors.team_list(tenant=tenant)}
    routing = {category: teams[name] for category, name in ROUTES.items() if name in teams}
    settings_get(tenant=tenant)
    settings_update(tenant=tenant, actor=None, auto_reply_chat=True, auto_reply_email=True,
                    suggestions_enabled=True, routing_rules=routing,
                    human_only_categories=["security-and-fraud"])
    stdout.write(f"AI: auto-reply on for chat and email, {len(routing)} routing rules, fraud questions to agents.\n")
