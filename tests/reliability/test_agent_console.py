"""The agent console never drops a typed reply, done for real: the web process is SIGKILLed under an open console,
the agent replies while it is down, and the reply is stored once, and shown once, after the process comes back on
the same port (static/js/chat-socket.js keeps it pending; the server stores a client id once)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from chat import services
from chat.models import ChatMessage, Conversation
from helpdesk.realtime import deferred_publishes
from tenants.models import Tenant, User
from tenants.rls import tenant_context
from tests.conftest import WebProcess
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Long enough for a restart on a busy machine plus the console's reconnect backoff (at most 10 s between tries).
BACK_MS = 40_000


def _chat(tenant: Tenant, *, taken_by: User | None) -> Conversation:
    """A customer's chat waiting for an agent, or taken over by ``taken_by`` (who may then reply in it).

    Its pushes are collected and dropped: no console is open yet to receive them, and Playwright's event loop runs
    in this thread, where a push could not be sent."""
    with deferred_publishes(), tenant_context(tenant.id):
        conversation = services.chat_start(tenant=tenant, name="Dana", email="dana@example.test").conversation
        services.post_customer_message(tenant=tenant, conversation=conversation, text="My card is blocked",
                                       client_msg_id="c-1")
        services.handoff(tenant=tenant, conversation=conversation, summary="Blocked card", sources=[],
                         reason="customer_request")
        if taken_by is not None:
            services.agent_take_over(tenant=tenant, conversation=conversation, agent=taken_by)
    return conversation


def _stored(tenant: Tenant, text: str) -> int:
    with tenant_context(tenant.id):
        return ChatMessage.objects.filter(text=text).count()


def _console(browser: Browser, url: str, *, conversation_list: str = "#list-mine") -> Page:
    """Bob signed in, the console open on the one conversation of ``conversation_list``."""
    page = browser.new_context().new_page()
    page.goto(f"{url}/accounts/login/?next=/t/acme/chat/")
    page.fill("#id_username", "bob@acme.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#conn")).to_have_text("Connected")
    page.locator(f"{conversation_list} li[data-id] a").click()
    expect(page.locator("#pane-messages")).to_contain_text("My card is blocked")
    return page


def _reply_while_down(page: Page, web: WebProcess, text: str) -> None:
    web.kill()
    expect(page.locator("#offline")).to_be_visible()
    page.fill("#reply-text", text)
    page.press("#reply-text", "Enter")
    pending = page.locator("#pane-messages li.pending")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text(text)
    expect(pending.locator(".state")).to_have_text("failed, retrying")
    expect(page.locator("#reply-text")).to_have_value("")


def _shown_once_and_stored_once(page: Page, tenant: Tenant, text: str) -> None:
    # The server's echo replaces the pending bubble: from then on the reply is stored.
    expect(page.locator("#pane-messages li.agent:not(.pending)", has_text=text)).to_have_count(1, timeout=BACK_MS)
    expect(page.locator("#pane-messages li.agent", has_text=text)).to_have_count(1)
    expect(page.locator("#pane-messages li.pending")).to_have_count(0)
    expect(page.locator("#offline")).to_be_hidden()
    assert _stored(tenant, text) == 1


def test_a_reply_sent_while_the_web_process_is_down_is_stored_once(
    browser: Browser, web_process: WebProcess, acme: Tenant, bob: User
) -> None:
    conversation = _chat(acme, taken_by=bob)
    page = _console(browser, web_process.url)
    reply = "Hi Dana, I have unblocked the card."
    _reply_while_down(page, web_process, reply)
    assert _stored(acme, reply) == 0
    web_process.start()
    _shown_once_and_stored_once(page, acme, reply)
    # Nothing is left to send again: a reload shows the stored reply once, from the history.
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.includes(':pending:'))") == []
    page.reload()
    expect(page.locator("#pane-messages li.customer")).to_contain_text("My card is blocked")
    expect(page.locator("#pane-messages li.agent", has_text=reply)).to_have_count(1)
    with tenant_context(acme.id):
        assert ChatMessage.objects.get(text=reply).conversation_id == conversation.id


def test_a_reply_pending_when_the_console_is_reloaded_is_sent_after_the_reload(
    browser: Browser, web_process: WebProcess, acme: Tenant, bob: User
) -> None:
    conversation = _chat(acme, taken_by=bob)
    page = _console(browser, web_process.url)
    reply = "Which branch was it?"
    _reply_while_down(page, web_process, reply)
    # The page goes away before the process is back: only the tab's sessionStorage holds the reply now.
    page.goto("about:blank")
    web_process.start()
    page.goto(f"{web_process.url}/t/acme/chat/#c{conversation.id}")
    _shown_once_and_stored_once(page, acme, reply)


def test_a_reply_the_server_refuses_goes_back_into_the_box(browser: Browser, asgi_server: str, acme: Tenant,
                                                           bob: User) -> None:
    _chat(acme, taken_by=None)
    page = _console(browser, asgi_server, conversation_list="#list-waiting")
    page.fill("#reply-text", "Hello, anyone there?")
    page.press("#reply-text", "Enter")  # not taken over first: the server refuses the reply
    expect(page.locator("#pane-error")).to_have_text("Take the conversation over before replying.")
    expect(page.locator("#reply-text")).to_have_value("Hello, anyone there?")
    expect(page.locator("#pane-messages li.pending")).to_have_count(0)
    assert _stored(acme, "Hello, anyone there?") == 0
