"""Fixed-window rate limits in Redis, so that every web process counts against the same budget."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from helpdesk.redis_client import client, make_key

View = Callable[..., HttpResponseBase]
clock = time.time  # the windows' clock (tests hold it still)


def hit(*, scope: str, limit: int, window_s: int = 60) -> bool:
    """Count one event in ``scope``'s current window; False once the window holds more than ``limit``."""
    return hits(scopes=[(scope, limit)], window_s=window_s) is None


def hits(*, scopes: list[tuple[str, int]], window_s: int = 60) -> str | None:
    """Count one event in each (scope, limit); return the first scope over its limit, or None."""
    window = int(clock() // window_s)
    pipe = client().pipeline(transaction=False)
    keys = [make_key(f"rl:{scope}:{window}") for scope, _ in scopes]
    for key in keys:
        # SET NX EX then INCR (not EXPIRE NX, which Redis < 7 lacks): the window key always expires.
        pipe.set(key, 0, ex=window_s + 1, nx=True)
        pipe.incr(key)
    results = pipe.execute()
    for (scope, limit), count in zip(scopes, results[1::2], strict=True):
        if int(count) > limit:
            return scope
    return None


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` requests per ``window_s`` for each value of ``key`` (None: the rule does not apply)."""

    name: str
    key: Callable[[HttpRequest], str | None]
    limit: int
    window_s: int = 60


def client_ip(request: HttpRequest) -> str:
    """The peer address. Behind a proxy, the proxy must set REMOTE_ADDR from X-Forwarded-For (one hop we trust);
    reading that header here would let anyone pick their own key."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def posted(field: str) -> Callable[[HttpRequest], str | None]:
    """A key from a submitted field (an account's e-mail), normalised; None when absent."""
    return lambda request: (str(request.POST.get(field) or "").strip().lower()[:254] or None)


def tenant_of(request: HttpRequest) -> str | None:
    tenant = getattr(request, "tenant", None)
    return str(tenant.id) if tenant is not None else None


def limit_requests(*rules: Rule, methods: tuple[str, ...] = ("POST",), json: bool = False
                   ) -> Callable[[View], View]:
    """A public endpoint's budget (login, password reset, sign-up, magic links, chat start, public search): each
    request of ``methods`` counts once in each rule; over any, the answer is 429 with Retry-After (JSON for an
    endpoint that answers JSON)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in methods:
                for rule in rules:
                    value = rule.key(request)
                    if value is not None and not hit(scope=f"{rule.name}:{value}", limit=rule.limit,
                                                     window_s=rule.window_s):
                        return too_many(rule.window_s, json=json)
            return view(request, *args, **kwargs)

        return limited

    return decorate


def too_many(retry_after_s: int, *, json: bool = False) -> HttpResponse:
    message = "Too many attempts. Wait a little and try again."
    if json:
        response: HttpResponse = JsonResponse({"detail": message, "errors": {}}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after_s)
    return response
