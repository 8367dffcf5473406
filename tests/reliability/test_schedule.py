"""Long waits are kept out of the broker (whose Redis transport would hand a task waiting past the visibility
timeout to a second worker) and released once, when due."""

from __future__ import annotations

import json
import time

import pytest

from helpdesk import schedule
from tests.reliability.conftest import broker


@pytest.fixture(autouse=True)
def _empty() -> None:
    from helpdesk.redis_client import client

    client().delete(schedule._key())
    broker().delete("default")


def _queued() -> list[dict]:
    return [json.loads(m) for m in broker().lrange("default", 0, -1)]


def test_a_short_wait_goes_to_the_broker_with_its_countdown() -> None:
    schedule.task_schedule("helpdesk.tasks.scheduled_release", [], countdown=5)
    [message] = _queued()
    assert message["headers"]["task"] == "helpdesk.tasks.scheduled_release" and message["headers"]["eta"]


def test_a_long_wait_is_released_once_when_due() -> None:
    schedule.task_schedule("tickets.tasks.webhook_deliver", [1, 2], countdown=3600)
    assert _queued() == []
    assert schedule.scheduled_release(now=time.time() + 60) == 0
    assert schedule.scheduled_release(now=time.time() + 3601) == 1
    assert schedule.scheduled_release(now=time.time() + 3601) == 0  # released once
    [message] = _queued()
    assert message["headers"]["task"] == "tickets.tasks.webhook_deliver"
    assert message["headers"]["argsrepr"] == "[1, 2]"
