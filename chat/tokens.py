"""Signed visitor tokens: the browser keeps one; it names a visitor of exactly one tenant."""

from __future__ import annotations

from django.core import signing

SALT = "chat.visitor"
MAX_AGE_S = 60 * 60 * 24 * 30


def visitor_token(*, tenant_id: int, visitor_key: str) -> str:
    return signing.dumps({"t": int(tenant_id), "v": visitor_key}, salt=SALT, compress=False)


def visitor_key_from_token(*, tenant_id: int, token: str) -> str | None:
    """The visitor key, or None for a forged, expired or other tenant's token."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_S)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("t") != int(tenant_id) or not isinstance(data.get("v"), str):
        return None
    return str(data["v"])
