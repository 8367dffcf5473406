"""Demo content for the tickets app (called by ``manage.py seed_demo`` inside the tenant's context). Idempotent."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from django.conf import settings

from tenants.models import Tenant, User
from tenants.selectors import agents_of
from tickets import services
from tickets.models import Macro, SlaPolicy, Team, Ticket


def _data_file() -> Path:
    """``../shared/data/banking77/test.csv`` next to the repository (searched upwards, so worktrees find it too)."""
    for parent in Path(settings.BASE_DIR).resolve().parents:
        candidate = parent / "shared" / "data" / "banking77" / "test.csv"
        if candidate.exists():
            return candidate
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "banking77" / "test.csv"


DATA = _data_file()
TICKET_COUNT = 40
TEAMS = {"Cards": ("card", "atm", "pin"), "Payments": ("transfer", "payment", "top_up", "refund", "exchange"),
         "Accounts": ("verify", "identity", "passcode", "account", "terminate")}
MACROS: list[tuple[str, str, dict[str, Any]]] = [
    ("Card on its way", "Hi {{customer_name}},\n\nYour card has been dispatched and usually arrives within 5 "
     "working days. You can track it in the app under Cards.\n\nBest regards,\n{{agent_name}}",
     {"status": "pending", "add_tags": ["card-delivery"]}),
    ("Need more details", "Hi {{customer_name}},\n\nThanks for reaching out. Could you tell us the date and the "
     "amount of the transaction, so we can look into it?\n\n{{agent_name}}", {"status": "pending"}),
    ("Solved, thanks", "Hi {{customer_name}},\n\nGlad we could help. We are marking request #{{ticket_number}} "
     "as solved; just reply if anything else comes up.\n\n{{agent_name}}", {"status": "solved"}),
]
NAMES = ["Ava Patel", "Liam Chen", "Noah Garcia", "Mia Rossi", "Lucas Müller", "Emma Dubois", "Oliver Smith",
         "Sofia Novak", "Ethan Brown", "Isla Kowalski", "Leo Martin", "Zoe Anderson"]


def _examples(limit: int) -> list[dict[str, str]]:
    if not DATA.exists():
        return []
    with DATA.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(77)  # the same demo every time
    return rng.sample(rows, min(limit, len(rows)))


def _team_for(category: str, teams: dict[str, Team]) -> Team | None:
    for name, words in TEAMS.items():
        if any(word in category for word in words):
            return teams[name]
    return None


def seed(*, tenant: Tenant, stdout: Any) -> None:
    agents: list[User] = list(agents_of(tenant=tenant))
    if not SlaPolicy.objects.for_tenant(tenant).exists():
        services.sla_policy_save(tenant=tenant, name="Standard", targets={
            "urgent": {"first_response": 30, "resolution": 240}, "high": {"first_response": 60, "resolution": 480},
            "normal": {"first_response": 240, "resolution": 1440}, "low": {"first_response": 480, "resolution": 2880},
        })
    teams = {}
    for name in TEAMS:
        team = Team.objects.for_tenant(tenant).filter(name=name).first()
        teams[name] = team or services.team_create(tenant=tenant, name=name, member_ids=[a.id for a in agents])
    for name, body, actions in MACROS:
        if not Macro.objects.for_tenant(tenant).filter(name=name).exists():
            services.macro_create(tenant=tenant, name=name, body=body, actions=actions)
    existing = Ticket.objects.for_tenant(tenant).count()
    if existing >= TICKET_COUNT:
        stdout.write(f"tickets: {existing} tickets already there")
        return
    rng = random.Random(7)
    for index, row in enumerate(_examples(TICKET_COUNT)[existing:]):
        name = NAMES[index % len(NAMES)]
        email = name.lower().replace(" ", ".").replace("ü", "ue") + "@example.com"
        subject = row["text"][:70].rstrip(" ?.!") or "Question"
        ticket = services.ticket_create(
            tenant=tenant, subject=subject, body=row["text"], requester_name=name, requester_email=email,
            channel=rng.choice(["email", "email", "web", "api"]),
            priority=rng.choice(["low", "normal", "normal", "normal", "high", "urgent"]),
            team=_team_for(row["category"], teams), tags=[row["category"].replace("_", "-")],
        )
        if agents and index % 3 == 0:
            agent = agents[index % len(agents)]
            services.ticket_assign(tenant=tenant, ticket=ticket, assignee_id=agent.id, actor=agent)
            if index % 2 == 0:
                services.ticket_reply(tenant=tenant, ticket=ticket, author=agent,
                                      body=f"Hi {name.split()[0]}, thanks for writing. We are looking into it.")
    stdout.write(f"tickets: {Ticket.objects.for_tenant(tenant).count()} demo tickets, 3 teams, {len(MACROS)} macros")
