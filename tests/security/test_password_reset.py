"""Password-reset poisoning: the attacker asks for a reset of the victim's account with a Host header of their own,
hoping the mailed link points at their server and hands them the victim's reset token when clicked."""

from __future__ import annotations

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db

HOSTS = ["attacker.example", "acme.help.attacker.example:8443"]


@pytest.mark.parametrize("host", HOSTS)
def test_a_host_the_site_does_not_serve_is_refused(client, alice, host) -> None:
    response = client.post("/accounts/password_reset/", {"email": "alice@acme.test"}, HTTP_HOST=host)
    assert response.status_code == 400
    assert mail.outbox == []


@pytest.mark.parametrize("host", HOSTS)
def test_the_reset_link_points_at_the_site_whatever_the_host_header(client, alice, settings, host) -> None:
    # Even where an operator serves any host (refused by check --deploy, see test_deploy_check), the link holds.
    settings.SITE_URL = "https://help.example.com"
    settings.SERVED_HOSTS = ["*"]
    response = client.post("/accounts/password_reset/", {"email": "alice@acme.test"}, HTTP_HOST=host)
    assert response.status_code == 302
    [message] = mail.outbox
    assert "https://help.example.com/accounts/reset/" in message.body
    assert "attacker" not in message.body and "attacker" not in message.subject
