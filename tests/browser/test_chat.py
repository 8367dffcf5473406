"""Two browser contexts on the real ASGI server: a customer on the hosted chat page and an agent in the console."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from chat.models import Conversation, Status
from tenants.rls import tenant_context
from tests.factories import PASSWORD
from tickets.models import Attachment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _ticket_transcript(tenant, ticket_id: int) -> str:
    """Everything the ticket made from the chat holds, as one text (its subject, description and messages)."""
    from tickets.models import Ticket

    ticket = Ticket.objects.for_tenant(tenant).get(id=ticket_id)
    parts = [str(value) for value in vars(ticket).values() if isinstance(value, str)]
    for related in ticket._meta.related_objects:
        accessor = related.get_accessor_name()
        manager = getattr(ticket, accessor, None)
        if related.one_to_many and manager is not None:
            for row in manager.all():
                parts += [str(value) for value in vars(row).values() if isinstance(value, str)]
    return "\n".join(parts)


def test_customer_asks_for_a_human_and_an_agent_takes_over(browser: Browser, asgi_server: str, acme, bob):
    customer = browser.new_context().new_page()
    agent = browser.new_context().new_page()

    customer.goto(f"{asgi_server}/c/acme/")
    customer.fill("#id_name", "Dana Customer")
    customer.fill("#id_email", "dana@example.test")
    customer.click("#prechat-form button[type=submit]")
    customer.fill("#text", "My card was swallowed by an ATM")
    customer.press("#text", "Enter")
    expect(customer.locator("#messages li.customer")).to_have_count(1)
    expect(customer.locator("#messages li.customer")).not_to_have_class("customer pending")
    customer.click("#human")
    expect(customer.locator("#chat-state")).to_have_text("Waiting for an agent…")

    agent.goto(f"{asgi_server}/accounts/login/?next=/t/acme/chat/")
    agent.fill("#id_username", "bob@acme.test")
    agent.fill("#id_password", PASSWORD)
    agent.click("button[type=submit]")
    expect(agent.locator("#conn")).to_have_text("Connected")
    waiting = agent.locator("#list-waiting li[data-id]")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Dana Customer")
    waiting.locator("a").click()
    expect(agent.locator("#pane-summary")).to_contain_text("asked to talk to a person")
    expect(agent.locator("#pane-messages")).to_contain_text("My card was swallowed by an ATM")
    agent.click("#take")
    expect(agent.locator("#list-mine li[data-id]")).to_have_count(1)
    expect(customer.locator("#chat-state")).to_have_text("Chatting with an agent")
    expect(customer.locator("#messages")).to_contain_text("Bob joined the chat.")

    agent.fill("#reply-text", "Hi Dana, I've blocked the card. Which branch was it?")
    agent.press("#reply-text", "Enter")
    expect(customer.locator("#messages li.agent")).to_contain_text("I've blocked the card")
    customer.fill("#text", "The one on Main Street")
    customer.press("#text", "Enter")
    expect(agent.locator("#pane-messages li.customer").last).to_contain_text("The one on Main Street")
    expect(customer.locator("#messages li.customer .seen").last).to_be_visible()  # the agent has read it

    # The customer attaches a file; the agent sees it as a link and downloads it.
    customer.set_input_files("#file", files=[{"name": "receipt.txt", "mimeType": "text/plain",
                                              "buffer": b"paid 20 EUR"}])
    expect(customer.locator("#staged li")).to_contain_text("receipt.txt")
    customer.fill("#text", "Here is the receipt")
    customer.press("#text", "Enter")
    link = agent.locator("#pane-messages li.customer a.attachment")
    expect(link).to_have_text("receipt.txt")
    expect(link).to_have_attribute("href", re.compile(r"^/t/acme/chat/attachments/\d+/$"))
    with agent.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == b"paid 20 EUR"
    own = customer.locator("#messages li.customer a.attachment")
    expect(own).to_have_text("receipt.txt")
    assert customer.request.get(asgi_server + own.get_attribute("href")).body() == b"paid 20 EUR"

    agent.click("#close-ticket")
    expect(customer.locator("#csat")).to_be_visible()
    expect(customer.locator("#chat-state")).to_have_text("Chat ended")
    customer.click(".star[data-score='5']")
    customer.fill("#csat-comment", "Fast and kind")
    customer.click("#csat-send")
    expect(customer.locator("#csat-thanks")).to_be_visible()
    expect(agent.locator("#pane-ticket")).to_contain_text("Ticket #")

    with tenant_context(acme.id):
        conversation = Conversation.objects.get()
        assert (conversation.status, conversation.csat_score, conversation.csat_comment) == (
            Status.CLOSED, 5, "Fast and kind")
        assert conversation.ticket_id is not None
        transcript = _ticket_transcript(acme, conversation.ticket_id)
    for line in ("My card was swallowed by an ATM", "I've blocked the card", "The one on Main Street",
                 "Here is the receipt"):
        assert line in transcript
    with tenant_context(acme.id):
        files = Attachment.objects.for_tenant(acme).filter(message__ticket_id=conversation.ticket_id)
        assert [(f.filename, bytes(f.data)) for f in files] == [("receipt.txt", b"paid 20 EUR")]
