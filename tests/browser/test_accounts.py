"""In a real browser against the real ASGI server: sign up through the mailed link, land in the help desk,
sign out and back in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sent_mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_sign_out_and_sign_in(page: Page, asgi_server: str):
    page.goto(f"{asgi_server}/signup/")
    page.fill("#id_company", "Pied Piper")
    page.fill("#id_slug", "pied-piper")
    page.fill("#id_email", "richard@piedpiper.test")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Check your inbox")
    link = re.search(rb"http://\S+/signup/confirm/\S+/", sent_mail(b"/signup/confirm/")).group(0).decode()
    page.goto(asgi_server + "/" + link.split("://", 1)[1].split("/", 1)[1])
    page.fill("#id_password", "weissman-score-5")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{asgi_server}/t/pied-piper/")
    expect(page.locator("h1")).to_have_text("Pied Piper")

    page.click("text=Sign out")
    expect(page).to_have_url(f"{asgi_server}/accounts/login/")
    page.fill("#id_username", "richard@piedpiper.test")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator(".errors")).to_contain_text("correct email")

    page.fill("#id_password", "weissman-score-5")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{asgi_server}/t/pied-piper/")


def test_a_taken_address_shows_a_field_error(page: Page, asgi_server: str, acme):
    page.goto(f"{asgi_server}/signup/")
    page.fill("#id_company", "Acme again")
    page.fill("#id_slug", "acme")
    page.fill("#id_email", "someone@acme.test")
    page.click("button[type=submit]")
    expect(page.locator(".field.has-error")).to_contain_text("already taken")
