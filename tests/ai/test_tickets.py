"""Triage, auto-reply and suggestions on tickets, end to end through kb search and tickets' services."""

from __future__ import annotations

import pytest

from ai.models import Suggestion, Trace
from ai.services import settings as ai_settings
from ai.services.tickets import ticket_message_process
from tenants.models import Tenant
from tenants.rls import tenant_context
from tests.factories import TeamFactory
from tickets import services as ticket_services
from tickets.models import AuthorType, Message, Ticket

pytestmark = pytest.mark.slow


def _new_ticket(tenant: Tenant, subject: str, body: str, channel: str = "email") -> tuple[Ticket, Message]:
    with tenant_context(tenant.id):
        ticket = ticket_services.ticket_create(tenant=tenant, subject=subject, body=body, channel=channel,
                                               requester_email="jane@example.com")
        message = Message.objects.for_tenant(tenant).filter(ticket=ticket).get()
    return ticket, message


def _process(tenant: Tenant, message: Message) -> Ticket:
    with tenant_context(tenant.id):
        ticket_message_process(tenant_id=tenant.id, message_id=message.id)
        return Ticket.objects.for_tenant(tenant).get(id=message.ticket_id)


def test_an_answerable_email_gets_a_cited_auto_reply(acme, demo_kb) -> None:
    demo_kb(acme, "cards")
    with tenant_context(acme.id):
        # A floor below the calibrated one: this test is about the e-mail path, not about the decision.
        ai_settings.settings_update(tenant=acme, actor=None, auto_reply_email=True, confidence_floor=0.5)
    ticket, message = _new_ticket(acme, "Express delivery", "How much does express card delivery cost?")
    ticket = _process(acme, message)
    with tenant_context(acme.id):
        bot = Message.objects.for_tenant(acme).get(ticket=ticket, author_type=AuthorType.BOT)
        trace = Trace.objects.for_tenant(acme).get(kind=Trace.Kind.TICKET_ANSWER)
    assert "£5" in bot.body and "card-delivery-time" in bot.body
    assert bot.citations[0]["title"] == "How long does card delivery take?"
    assert trace.decision == "answer" and trace.hits and trace.latency_ms > 0
    assert ticket.category == "cards"


def test_an_unanswerable_email_waits_for_an_agent_with_a_suggestion_trace(acme, demo_kb) -> None:
    demo_kb(acme, "cards")
    with tenant_context(acme.id):
        ai_settings.settings_update(tenant=acme, actor=None, auto_reply_email=True)
    ticket, message = _new_ticket(acme, "Mortgage", "What are your mortgage rates for a 5 year fix?")
    _process(acme, message)
    with tenant_context(acme.id):
        assert not Message.objects.for_tenant(acme).filter(ticket=ticket, author_type=AuthorType.BOT).exists()
        trace = Trace.objects.for_tenant(acme).get(kind=Trace.Kind.TICKET_ANSWER)
        suggestion = Suggestion.objects.for_tenant(acme).get(message_id=message.id)
    # Not sure enough to answer: by default the decision offers articles, which an e-mail auto-reply never sends.
    assert trace.decision == "suggest"
    # The agent still sees the reader's draft and the articles it tried; the customer got nothing.
    assert suggestion.citations or suggestion.related


def test_an_angry_message_escalates_priority_and_routes_by_category(acme, demo_kb) -> None:
    demo_kb(acme, "cards")
    team = TeamFactory(tenant=acme, name="Cards team")
    with tenant_context(acme.id):
        ai_settings.settings_update(tenant=acme, actor=None, routing_rules={"cards": team.id})
    ticket, message = _new_ticket(acme, "Card STILL not here",
                                  "This is ridiculous, my card never arrived, worst service ever, I am furious!",
                                  channel="web")
    ticket = _process(acme, message)
    assert ticket.priority == "urgent"
    assert ticket.sentiment == "negative" and ticket.language == "en"
    assert ticket.category == "cards" and ticket.team_id == team.id
    with tenant_context(acme.id):
        # Web tickets never get an auto-reply; the agent gets a suggestion instead.
        assert not Message.objects.for_tenant(acme).filter(ticket=ticket, author_type=AuthorType.BOT).exists()
        assert Suggestion.objects.for_tenant(acme).filter(ticket_id=ticket.id).exists()


def test_a_tenant_never_retrieves_another_tenants_articles(acme, globex, demo_kb) -> None:
    demo_kb(globex, "cards")
    demo_kb(acme, "top-ups")
    with tenant_context(acme.id):
        ai_settings.settings_update(tenant=acme, actor=None, auto_reply_email=True)
    _ticket, message = _new_ticket(acme, "Express delivery", "How much does express card delivery cost?")
    _process(acme, message)
    with tenant_context(acme.id):
        trace = Trace.objects.for_tenant(acme).get(kind=Trace.Kind.TICKET_ANSWER)
        acme_urls = {h["url"] for h in trace.hits}
    assert acme_urls and all("/h/acme/" in url for url in acme_urls)
    assert not any("card-delivery-time" in url for url in acme_urls)
    assert trace.decision != "answer"
