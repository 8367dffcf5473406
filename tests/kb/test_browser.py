"""In Chromium against the real ASGI server and a real Celery worker: an admin writes and publishes an article,
and the help center's search finds it within seconds by a paraphrase that shares no keyword with it."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from kb import selectors
from tenants.rls import tenant_context
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TITLE = "Closing your account"
BODY = ("## How to close it\n\nTo terminate your membership, open **Settings** and choose *Close account*. "
        "Any remaining balance is transferred to an external account of your choice.")
PARAPHRASE = "how can I stop being a customer permanently"


def test_an_admin_publishes_and_search_finds_it_by_a_paraphrase(page: Page, asgi_server, celery_worker_process,
                                                                 acme, alice, globex):
    page.goto(f"{asgi_server}/accounts/login/")
    page.fill("#id_username", alice.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=Knowledge base")
    expect(page.locator("h1")).to_have_text("Knowledge base")
    page.click("text=New article")
    page.wait_for_url("**/kb/new/")
    page.wait_for_load_state("load")  # the editor's script is attached

    page.fill("#id_title", TITLE)
    page.fill("#id_body", BODY)
    # Live preview: rendered by the server while typing.
    expect(page.locator("#preview strong")).to_have_text("Settings")
    page.click("button[value=publish]")
    expect(page.locator(".messages")).to_contain_text("Published")

    published_at = time.monotonic()
    deadline = published_at + 90
    while True:
        page.goto(f"{asgi_server}/h/acme/search/?q={PARAPHRASE.replace(' ', '+')}")
        if page.locator(".search-results").count():
            break
        assert time.monotonic() < deadline, "the article never became searchable"
        time.sleep(0.5)
    found_after = time.monotonic() - published_at
    expect(page.locator(".search-results a").first).to_have_text(TITLE)
    page.click(f"text={TITLE}")
    expect(page.locator("article h1")).to_have_text(TITLE)
    print(f"searchable {found_after:.1f} s after publishing")  # includes the worker loading the model once

    with tenant_context(acme.id):
        # The query shares no keyword with the article: full-text search alone finds nothing.
        assert selectors.article_search(tenant=acme, query=PARAPHRASE, mode="fts") == []
    with tenant_context(globex.id):
        assert selectors.article_search(tenant=globex, query=PARAPHRASE) == []
