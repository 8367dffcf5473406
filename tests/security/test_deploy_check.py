"""Unsafe defaults: a deployment with the development SECRET_KEY (which signs portal links anyone could then forge),
or whose application role could switch row-level security off, is refused by ``manage.py check --deploy``, and a
production-like configuration passes with no warning that is not answered in the settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _check(**env: str) -> subprocess.CompletedProcess[str]:
    production = {
        "SECRET_KEY": "k" * 20 + "9f8e7d6c5b4a3210-unique-and-long-enough-for-django",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "SITE_URL": "https://help.example.com",
        "ALLOWED_HOSTS": "help.example.com", "DEBUG": "0",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--database", "default", "--fail-level", "WARNING"],
        cwd=ROOT, env={**os.environ, **production, **env}, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def production() -> subprocess.CompletedProcess[str]:
    return _check()


def test_a_production_like_configuration_passes(production) -> None:
    assert production.returncode == 0, production.stderr[-2000:]
    assert "no issues" in production.stdout


def test_the_development_secret_key_is_refused() -> None:
    result = _check(SECRET_KEY="dev-only-insecure-key-change-me")
    assert result.returncode != 0 and "helpdesk.E001" in result.stderr


def test_migrations_and_the_application_on_one_role_is_refused() -> None:
    result = _check(DATABASE_OWNER_URL=os.environ["DATABASE_URL"])
    assert result.returncode != 0 and "helpdesk.E003" in result.stderr


def test_an_application_role_that_can_bypass_row_level_security_is_refused() -> None:
    # The embedded database's owner is a superuser: as the application's role it would see every tenant's rows.
    result = _check(DATABASE_URL=os.environ["DATABASE_OWNER_URL"])
    assert result.returncode != 0 and "helpdesk.E004" in result.stderr


def test_https_sites_get_secure_cookies_and_hsts(production) -> None:
    from django.conf import settings

    assert "security.W012" not in production.stderr and "security.W004" not in production.stderr
    # The test run itself is plain http, where secure cookies would break sign-in.
    assert settings.SESSION_COOKIE_SECURE is settings.SITE_URL.startswith("https://")


def test_serving_any_host_is_refused() -> None:
    result = _check(ALLOWED_HOSTS="*")
    assert result.returncode != 0 and "helpdesk.E006" in result.stderr
