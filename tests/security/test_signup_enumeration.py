"""Account enumeration and password guessing through sign-up: the form used to answer "an account with this email
exists" and to sign in whoever typed that account's password (a second login form, without the login's limits).
Now sign-up answers the same for every address and only the mailbox learns more."""

from __future__ import annotations

import pytest
from django.core import mail

from tenants.models import Tenant
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_up(client, email: str, slug: str, **extra: str):
    return client.post("/signup/", {"company": "Probe", "slug": slug, "email": email, **extra})


def test_sign_up_answers_the_same_whether_or_not_the_address_has_an_account(client, alice) -> None:
    taken = _sign_up(client, "alice@acme.test", "probe-a")
    free = _sign_up(client, "nobody@acme.test", "probe-b")
    assert taken.status_code == free.status_code == 200
    assert taken.content.replace(b"alice@acme.test", b"X") == free.content.replace(b"nobody@acme.test", b"X")
    assert "_auth_user_id" not in client.session
    # Only the mailbox's owner learns that the account exists.
    to_alice, to_nobody = mail.outbox
    assert to_alice.to == ["alice@acme.test"] and "You already have an" in to_alice.body
    assert "/signup/confirm/" not in to_alice.body and "/signup/confirm/" in to_nobody.body


def test_sign_up_with_an_accounts_password_does_not_sign_in(client, alice) -> None:
    response = _sign_up(client, "alice@acme.test", "probe-c", password=PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not Tenant.objects.filter(slug="probe-c").exists()
    assert client.get("/t/acme/").status_code == 302  # still signed out
