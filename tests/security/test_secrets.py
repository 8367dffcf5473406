"""Secrets at rest: what a database dump or a leaked backup of the tenant rows gives an attacker."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from helpdesk.crypto import SecretUnreadable, secret_decrypt, secret_encrypt, secret_hint


def test_a_secret_is_unreadable_without_the_key_and_survives_a_key_rotation(settings) -> None:
    old = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = secret_encrypt("sk-tenant-own-key-1234")
    assert "sk-tenant" not in token and secret_decrypt(token) == "sk-tenant-own-key-1234"
    # Rotation: a new key first; tokens of the old key still read until they are re-saved.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    assert secret_decrypt(token) == "sk-tenant-own-key-1234"
    # Someone holding the rows but not the keys reads nothing, and gets a clear error rather than garbage.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretUnreadable):
        secret_decrypt(token)


def test_without_configured_keys_the_key_comes_from_the_secret_key(settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = []
    token = secret_encrypt("hunter2-hunter2")
    assert secret_decrypt(token) == "hunter2-hunter2"
    settings.SECRET_KEY = "another-installation"
    with pytest.raises(SecretUnreadable):
        secret_decrypt(token)


def test_an_admin_sees_only_the_last_characters_of_a_long_secret() -> None:
    assert secret_hint("sk-tenant-own-key-1234") == "…1234" and secret_hint("short") == "…"
