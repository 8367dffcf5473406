"""Tasks to run later than the broker can safely hold them.

The Redis transport keeps a task with a countdown in a worker's memory, unacknowledged, until it is due; one that
waits longer than the visibility timeout (CELERY_VISIBILITY_TIMEOUT_S) is handed to another worker meanwhile, and
then to another: it would run several times. So a long wait is kept in a Redis sorted set scored by due time (the
queue's own Redis, persisted with it), and a beat task releases what is due every few seconds.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings

from helpdesk.redis_client import client, make_key

RELEASE_EVERY_S = 10.0  # the beat interval of helpdesk.tasks.scheduled_release


def _key() -> str:
    return make_key("schedule:due")


def task_schedule(name: str, args: list[Any], *, countdown: float) -> None:
    """Run task ``name`` with ``args`` in ``countdown`` seconds (give or take RELEASE_EVERY_S for long waits)."""
    from helpdesk.celery import app

    if countdown <= settings.CELERY_VISIBILITY_TIMEOUT_S / 2:
        app.send_task(name, args=args, countdown=countdown)
        return
    entry = json.dumps({"name": name, "args": args, "id": time.time_ns()})
    client().zadd(_key(), {entry: time.time() + countdown})


def scheduled_release(now: float | None = None) -> int:
    """Send every task that is due; each exactly once, even with two beats racing (ZREM decides)."""
    from helpdesk.celery import app

    redis = client()
    due: list[bytes] = redis.zrangebyscore(_key(), "-inf", now if now is not None else time.time(), start=0,
                                           num=1000)  # type: ignore[assignment]
    sent = 0
    for entry in due:
        if redis.zrem(_key(), entry):
            task = json.loads(entry)
            app.send_task(task["name"], args=task["args"])
            sent += 1
    return sent
