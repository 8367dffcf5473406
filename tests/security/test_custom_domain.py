"""Custom domains: a tenant claiming the site's own host (and with it the login page), another tenant's subdomain,
an address, or a domain it does not hold."""

from __future__ import annotations

import pytest

from tenants import domains
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def txt(monkeypatch) -> dict[str, list[str]]:
    """Plays DNS for TXT lookups: nothing is published unless the test puts it here."""
    table: dict[str, list[str]] = {}
    monkeypatch.setattr(domains, "txt_records", lambda name: table.get(name, []))
    return table


def _save(client, domain: str):
    return client.post("/t/acme/settings/", {"name": "Acme", "custom_domain": domain, "primary_color": "#112233"})


@pytest.mark.parametrize("domain", [
    "help.example.com",  # SITE_URL's host in this test: the login page itself
    "helpdesk.localhost", "globex.helpdesk.localhost", "localhost", "127.0.0.1", "[::1]", "10.0.0.1",
    "help.example.com:8443", "help.example.com/login", "*.example.com", "exa mple.com", "com",
])
def test_a_domain_that_is_the_service_or_not_a_host_name_is_refused(client, alice, acme, settings, txt,
                                                                    domain) -> None:
    settings.SITE_URL = "https://help.example.com"
    settings.SERVED_HOSTS = [*settings.SERVED_HOSTS, "help.example.com"]
    client.force_login(alice)
    response = _save(client, domain)
    assert response.status_code == 400 and "custom_domain" in response.context["form"].errors
    assert Tenant.objects.get(id=acme.id).custom_domain is None
    # The login page is still the service's.
    assert client.get("/accounts/login/", HTTP_HOST="help.example.com").status_code == 200


def test_a_domain_is_accepted_only_with_the_tenants_proof_in_dns(client, alice, acme, globex, txt) -> None:
    client.force_login(alice)
    refused = _save(client, "support.acme-shop.example")
    assert refused.status_code == 400 and "_helpdesk.support.acme-shop.example" in str(refused.context["form"].errors)
    # Another tenant's proof does not do.
    txt["_helpdesk.support.acme-shop.example"] = [domains.verification_record(globex, "x")[1]]
    assert _save(client, "support.acme-shop.example").status_code == 400
    txt["_helpdesk.support.acme-shop.example"].append(domains.verification_record(acme, "x")[1])
    assert _save(client, "support.acme-shop.example").status_code == 302
    assert Tenant.objects.get(id=acme.id).custom_domain == "support.acme-shop.example"
