"""Host header: the site answers only to the hosts it serves (SERVED_HOSTS) and to tenants' custom domains, so a
forged Host cannot steer the pages (or anything built from them) to the attacker's name; a deployment that serves
any host, or still has the development key, refuses to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tenants.models import Tenant

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("host", ["attacker.example", "evil.helpdesk.localhost.attacker.example", "localhost.evil"])
def test_a_host_nobody_serves_is_a_400(client, host) -> None:
    assert client.get("/accounts/login/", HTTP_HOST=host).status_code == 400


def test_the_sites_hosts_and_tenant_subdomains_are_served(client, acme) -> None:
    assert client.get("/accounts/login/", HTTP_HOST="localhost:8000").status_code == 200
    assert client.get("/h/acme/", HTTP_HOST="acme.helpdesk.localhost").status_code == 200


def test_a_custom_domain_is_served_while_its_tenant_holds_it(client, acme) -> None:
    assert client.get("/h/acme/", HTTP_HOST="help.acme-shop.example").status_code == 400
    Tenant.objects.filter(id=acme.id).update(custom_domain="help.acme-shop.example")
    assert client.get("/h/acme/", HTTP_HOST="help.acme-shop.example").status_code == 200
    Tenant.objects.filter(id=acme.id).update(is_active=False)
    assert client.get("/h/acme/", HTTP_HOST="help.acme-shop.example").status_code == 400


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    """Imports the ASGI application as uvicorn would, with production-like settings."""
    production = {"SITE_URL": "https://help.example.com", "ALLOWED_HOSTS": "help.example.com", "DEBUG": "0",
                  "SECRET_KEY": "s" * 30 + "-a-long-random-production-key"}
    return subprocess.run([sys.executable, "-c", "import helpdesk.asgi"], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, **production, **env}, timeout=120)


def test_a_deployment_serving_any_host_does_not_start() -> None:
    result = _start(ALLOWED_HOSTS="*")
    assert result.returncode != 0 and "helpdesk.E006" in result.stderr


def test_a_deployment_with_the_development_key_does_not_start() -> None:
    result = _start(SECRET_KEY="dev-only-insecure-key-change-me")
    assert result.returncode != 0 and "helpdesk.E001" in result.stderr


def test_a_sound_deployment_starts() -> None:
    result = _start()
    assert result.returncode == 0, result.stderr[-2000:]
