"""Fixed-window rate limits in Redis, so that every web process counts against the same budget."""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache


def _client() -> Any:
    # The Redis client behind Django's cache: one INCR + EXPIRE round trip instead of add/get/incr.
    return cache._cache.get_client(write=True)  # type: ignore[attr-defined]


def hit(*, scope: str, limit: int, window_s: int = 60) -> bool:
    """Count one event in ``scope``'s current window; False once the window holds more than ``limit``."""
    window = int(time.time() // window_s)
    key = cache.make_key(f"rl:{scope}:{window}")
    pipe = _client().pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, window_s + 1, nx=True)
    count, _ = pipe.execute()
    return int(count) <= limit


def hits(*, scopes: list[tuple[str, int]], window_s: int = 60) -> str | None:
    """Count one event in each (scope, limit); return the first scope over its limit, or None."""
    window = int(time.time() // window_s)
    pipe = _client().pipeline(transaction=False)
    keys = [cache.make_key(f"rl:{scope}:{window}") for scope, _ in scopes]
    for key in keys:
        pipe.incr(key)
        pipe.expire(key, window_s + 1, nx=True)
    results = pipe.execute()
    for (scope, limit), count in zip(scopes, results[::2], strict=True):
        if int(count) > limit:
            return scope
    return None
