"""Fixed-window rate limits in Redis, so that every web process counts against the same budget."""

from __future__ import annotations

import time

from helpdesk.redis_client import client, make_key


def hit(*, scope: str, limit: int, window_s: int = 60) -> bool:
    """Count one event in ``scope``'s current window; False once the window holds more than ``limit``."""
    window = int(time.time() // window_s)
    key = make_key(f"rl:{scope}:{window}")
    pipe = client().pipeline(transaction=False)
    # SET NX EX then INCR (not EXPIRE NX, which Redis < 7 lacks): the window key always expires.
    pipe.set(key, 0, ex=window_s + 1, nx=True)
    pipe.incr(key)
    _, count = pipe.execute()
    return int(count) <= limit


def hits(*, scopes: list[tuple[str, int]], window_s: int = 60) -> str | None:
    """Count one event in each (scope, limit); return the first scope over its limit, or None."""
    window = int(time.time() // window_s)
    pipe = client().pipeline(transaction=False)
    keys = [make_key(f"rl:{scope}:{window}") for scope, _ in scopes]
    for key in keys:
        pipe.set(key, 0, ex=window_s + 1, nx=True)
        pipe.incr(key)
    results = pipe.execute()
    for (scope, limit), count in zip(scopes, results[1::2], strict=True):
        if int(count) > limit:
            return scope
    return None
