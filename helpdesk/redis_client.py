"""The process's Redis client for counters and sets that Django's cache API cannot express (rate limits, presence).

One client, and so one thread-safe connection pool, per process. Django's ``cache`` object lives in a
context-local: code running in a thread under a copied context (every chat message's DB call) would get a new
cache object each time, with a new pool and a new Redis connection per call.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings
from django.core.cache import BaseCache, caches


@functools.cache
def client() -> redis.Redis:
    return redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])


@functools.cache
def _cache() -> BaseCache:
    return caches.create_connection("default")


def make_key(key: str) -> str:
    """``key`` under the cache's prefix and version, as Django's cache would name it."""
    return _cache().make_key(key)
