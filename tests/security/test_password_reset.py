"""Password-reset poisoning: the attacker asks for a reset of the victim's account with a Host header of their own,
hoping the mailed link points at their server and hands them the victim's reset token when clicked."""

from __future__ import annotations

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["attacker.example", "acme.help.attacker.example:8443"])
def test_the_reset_link_points_at_the_site_whatever_the_host_header(client, alice, settings, host) -> None:
    settings.SITE_URL = "https://help.example.com"
    response = client.post("/accounts/password_reset/", {"email": "alice@acme.test"}, HTTP_HOST=host)
    assert response.status_code == 302
    [message] = mail.outbox
    assert "https://help.example.com/accounts/reset/" in message.body
    assert "attacker" not in message.body and "attacker" not in message.subject
