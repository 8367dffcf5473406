"""Scripts against the public endpoints: password guessing, reset-mail and magic-link floods, mass sign-ups, chat
start floods and public searches that each run the embedding model in the web process."""

from __future__ import annotations

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_window(monkeypatch) -> None:
    """Every request of a test in one window: a fixed window that turns mid-test would refill the budget."""
    from helpdesk import ratelimit

    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_000.0)


def _until_429(send, tries: int) -> int:
    """How many requests passed before the first 429 (or ``tries`` if none was refused)."""
    for n in range(tries):
        response = send(n)
        if response.status_code == 429:
            assert int(response["Retry-After"]) > 0
            return n
    return tries


def test_guessing_one_accounts_password_is_stopped_even_from_many_addresses(client, alice) -> None:
    def guess(n: int):
        return client.post("/accounts/login/", {"username": "alice@acme.test", "password": f"guess-{n}"},
                           REMOTE_ADDR=f"203.0.113.{n}")
    assert _until_429(guess, 30) == 10
    # The real owner, from a fresh address, is refused too until the window passes: the price of the lock.
    assert client.post("/accounts/login/", {"username": "alice@acme.test", "password": "x"},
                       REMOTE_ADDR="198.51.100.1").status_code == 429


def test_one_address_guessing_many_accounts_is_stopped(client, alice) -> None:
    def guess(n: int):
        return client.post("/accounts/login/", {"username": f"user{n}@acme.test", "password": "123456"})
    assert _until_429(guess, 40) == 30


def test_reset_mail_to_one_inbox_is_bounded(client, alice) -> None:
    def ask(n: int):
        return client.post("/accounts/password_reset/", {"email": "alice@acme.test"}, REMOTE_ADDR=f"203.0.113.{n}")
    assert _until_429(ask, 10) == 3
    assert len(mail.outbox) == 3


def test_mass_sign_up_from_one_address_is_bounded(client) -> None:
    def sign_up(n: int):
        return client.post("/signup/", {"company": f"Spam {n}", "slug": f"spam-{n}", "email": f"s{n}@spam.example"})
    assert _until_429(sign_up, 15) == 10


def test_sign_up_mail_to_one_address_is_bounded(client) -> None:
    def sign_up(n: int):
        return client.post("/signup/", {"company": f"Spam {n}", "slug": f"spam-{n}", "email": "victim@example.test"},
                           REMOTE_ADDR=f"203.0.113.{n}")
    assert _until_429(sign_up, 10) == 3
    assert len(mail.outbox) == 3


def test_magic_link_mail_to_one_customer_is_bounded(client, acme) -> None:
    def ask(n: int):
        return client.post("/h/acme/portal/link/", {"email": "kim@example.test"}, REMOTE_ADDR=f"203.0.113.{n}")
    assert _until_429(ask, 10) == 3


def test_a_chat_start_flood_gets_a_json_429(client, acme) -> None:
    def start(n: int):
        return client.post("/c/acme/start/", {"name": f"Bot {n}", "email": f"b{n}@spam.example"})
    assert _until_429(start, 25) == 20
    response = client.post("/c/acme/start/", {"name": "Bot", "email": "b@spam.example"})
    assert response.status_code == 429 and response.json()["detail"]


def test_public_search_from_one_address_is_bounded(client, acme) -> None:
    def search(n: int):
        return client.get("/h/acme/search/", {"q": f"card {n}"})
    assert _until_429(search, 70) == 60
    assert client.get("/h/acme/search/", {"q": "card"}, REMOTE_ADDR="198.51.100.7").status_code == 200
