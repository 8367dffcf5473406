"""Demo AI settings for the demo tenants (called by ``manage.py seed_demo`` inside the tenant's context). Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from ai.services.settings import settings_get, settings_update
from tenants.models import Tenant
from tickets import selectors as ticket_selectors

ROUTES = {
    "cards": "Cards", "fees-and-limits": "Cards", "payments-and-transfers": "Payments", "top-ups": "Payments",
    "exchange-and-currencies": "Payments", "accounts-and-verification": "Accounts", "app-and-technical": "Accounts",
}


@dataclass(frozen=True)
class DemoAI:
    routes: dict[str, str]  # KB category slug -> the name of the team (tickets.seed) its questions go to
    human_only: list[str]  # KB category slugs the bot never answers


# Keyed by the content name seed_demo passes (its tenant's slug).
DEMO_CONTENT = {
    "demo": DemoAI(routes=ROUTES, human_only=["security-and-fraud"]),
    "qingyun": DemoAI(
        routes={"orders-payment": "订单与配送", "delivery": "订单与配送", "returns-refunds": "售后服务",
                "warranty-installation": "售后服务", "membership-points": "会员与账户", "account": "会员与账户"},
        human_only=[],
    ),
}


def seed(*, tenant: Tenant, stdout: IO[str] | Any, content: str = "demo") -> None:
    demo = DEMO_CONTENT[content]
    teams = {team.name: team.id for team in ticket_selectors.team_list(tenant=tenant)}
    routing = {category: teams[name] for category, name in demo.routes.items() if name in teams}
    settings_get(tenant=tenant)
    settings_update(tenant=tenant, actor=None, auto_reply_chat=True, auto_reply_email=True,
                    suggestions_enabled=True, routing_rules=routing, human_only_categories=demo.human_only)
    stdout.write(f"AI: auto-reply on for chat and email, {len(routing)} routing rules, "
                 f"{', '.join(demo.human_only) or 'no'} questions reserved for agents.\n")
