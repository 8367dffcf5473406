"""An agent's session through the REST API: it may do what the agent's pages do, and nothing the browser keeps for
admins (members, teams, macros, webhooks)."""

from __future__ import annotations

import pytest

from tests.factories import MacroFactory, TeamFactory

pytestmark = pytest.mark.django_db

API = "/t/acme/api/v1"


@pytest.mark.usefixtures("public_dns")
@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/webhooks/", {"url": "https://hooks.attacker.example/x", "events": ["ticket.created"]}),
    ("get", "/webhooks/", None),
    ("post", "/teams/", {"name": "Agents' own team", "member_ids": []}),
    ("post", "/macros/", {"name": "Close everything", "body": "", "actions": {"status": "closed"}}),
    ("get", "/members/", None),
])
def test_an_agent_cannot_do_admin_work_through_the_api(agent, method, path, body) -> None:
    response = getattr(agent, method)(f"{API}{path}", body, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow this."


def test_an_agent_still_reads_what_the_ticket_page_uses(agent, acme) -> None:
    team, macro = TeamFactory(tenant=acme), MacroFactory(tenant=acme)
    assert [t["id"] for t in agent.get(f"{API}/teams/").json()] == [team.id]
    assert agent.get(f"{API}/macros/{macro.id}/").status_code == 200
    assert agent.get(f"{API}/tickets/").status_code == 200


@pytest.mark.usefixtures("public_dns")
def test_an_admin_does_the_same_work(admin) -> None:
    assert admin.post(f"{API}/teams/", {"name": "Cards", "member_ids": []}, format="json").status_code == 201
    assert admin.post(f"{API}/webhooks/", {"url": "https://hooks.acme.example/in", "events": ["ticket.created"]},
                      format="json").status_code == 201
    assert admin.get(f"{API}/members/").status_code == 200
