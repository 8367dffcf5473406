"""Secrets a tenant gives us (an API key of their model endpoint; mail passwords and webhook secrets follow), stored
encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package) and never shown back.

Keys come from ``FIELD_ENCRYPTION_KEYS`` (Fernet keys, newest first: the first encrypts, all decrypt, so a key is
rotated by prepending a new one and re-saving). Without it, one key is derived from ``SECRET_KEY`` by HKDF, which
is enough for development; the deployment check asks for a real one.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(ValueError):
    """The stored secret was encrypted with a key that is no longer configured."""


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk field encryption").derive(
            secret_key.encode())
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key) for key in keys])


def _keys() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def secret_encrypt(value: str) -> str:
    return _keys().encrypt(value.encode()).decode() if value else ""


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("the stored secret cannot be decrypted with the configured keys") from exc


def secret_hint(value: str) -> str:
    """What an admin may see of a stored secret: its last four characters."""
    return f"…{value[-4:]}" if len(value) >= 8 else "…"
