"""The email round trip in a real browser against the real ASGI server and a real Celery worker:

a customer's email becomes a ticket, an agent opens it from the queue, applies a macro and replies; the reply
goes out as an email threaded to the original, and the customer's answer lands on the same ticket (live).
"""

from __future__ import annotations

import os
from email import policy
from email.parser import BytesParser

import httpx
import pytest
from playwright.sync_api import Page, expect

from tenants.models import Membership
from tenants.rls import tenant_context
from tests.browser.conftest import sent_mail
from tests.factories import PASSWORD, MacroFactory
from tests.tickets.conftest import mime
from tickets import services
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_email_to_ticket_macro_reply_threaded_answer(page: Page, asgi_server: str, celery_worker_process,
                                                     acme, alice):
    if os.environ.get("EMAIL_BACKEND") != "django.core.mail.backends.filebased.EmailBackend":
        pytest.fail("EMAIL_BACKEND was overridden; this test reads the worker's mail from files")
    with tenant_context(acme.id):
        secret = services.inbound_secret_rotate(tenant=acme, actor=Membership.objects.get(user=alice))
    MacroFactory(tenant=acme, name="Card on its way",
                 body="Hi {{customer_name}}, your new card is on its way.",
                 actions={"status": "pending", "add_tags": ["card-delivery"]})
    inbound = f"{asgi_server}/t/acme/api/v1/inbound/email/"

    # 1. The customer's email becomes a ticket.
    response = httpx.post(inbound, content=mime("plain.eml"), headers={"X-Inbound-Secret": secret,
                                                                      "Content-Type": "message/rfc822"})
    assert response.status_code == 201, response.text
    ticket_id = response.json()["ticket_id"]

    # 2. The agent signs in and opens it from the queue.
    page.goto(f"{asgi_server}/accounts/login/?next=/t/acme/tickets/")
    page.fill("#id_username", alice.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{asgi_server}/t/acme/tickets/")
    page.click("text=My card has not arrived")
    expect(page.locator("h1")).to_contain_text("My card has not arrived")
    expect(page.locator("#thread")).to_contain_text("still has not arrived")

    # 3. Applies a macro (it fills the reply box), edits it and sends.
    page.select_option("#macro-select", label="Card on its way")
    expect(page.locator("#id_body")).to_have_value("Hi Jane Doe, your new card is on its way.")
    page.fill("#id_body", "Hi Jane, your new card is on its way. It should arrive by Friday.")
    page.click("#send-reply")
    expect(page.locator(".messages")).to_contain_text("Reply sent")
    expect(page.locator("#ticket-status")).to_have_text("Pending")

    # 4. The reply went out by email (through the worker), threaded to the customer's message.
    raw_reply = sent_mail(b"It should arrive by Friday.")
    reply = BytesParser(policy=policy.default).parsebytes(raw_reply)
    assert reply["To"] == "jane@example.test"
    assert reply["In-Reply-To"] == "<plain-1@mail.example.test>"
    assert "<plain-1@mail.example.test>" in reply["References"]
    assert reply["Subject"] == "Re: My card has not arrived [#1]"
    with tenant_context(acme.id):
        agent_message = Message.objects.get(ticket_id=ticket_id, author_type="agent")
        assert reply["Message-ID"] == agent_message.message_id

    # 5. The customer answers from their mail client; it lands on the same ticket, live on the agent's page.
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    answer = (
        "From: Jane Doe <jane@example.test>\r\nTo: acme@helpdesk.localhost\r\n"
        f"Subject: Re: {reply['Subject']}\r\nMessage-ID: <answer-1@mail.example.test>\r\n"
        f"In-Reply-To: {reply['Message-ID']}\r\nReferences: <plain-1@mail.example.test> {reply['Message-ID']}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThank you, it arrived this morning!\r\n\r\n"
        "On Tue, Nov 24, 2026, Acme Inc. wrote:\r\n> Hi Jane, your new card is on its way.\r\n"
    ).encode()
    response = httpx.post(inbound, content=answer, headers={"X-Inbound-Secret": secret})
    assert response.status_code == 200 and response.json()["outcome"] == "threaded"
    assert response.json()["ticket_id"] == ticket_id
    expect(page.locator("#thread")).to_contain_text("it arrived this morning", timeout=15_000)
    expect(page.locator("#live-notice")).to_be_visible()
    # Leave the page (its socket and refreshes) before the database is emptied for the next test: a request
    # still running inside its transaction could deadlock with the TRUNCATE of the teardown.
    page.goto("about:blank")
    page.wait_for_timeout(300)
    with tenant_context(acme.id):
        ticket = Ticket.objects.get(id=ticket_id)
        assert ticket.status == "open" and "card-delivery" in ticket.tags
        assert Ticket.objects.count() == 1
