"""Fixtures of the tickets tests: an SLA policy, a team, Celery tasks run in-process when asked, a failing mail
server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.mail.backends import locmem

from helpdesk.celery import app
from tests.factories import SlaPolicyFactory

MIME = Path(__file__).parent / "mime"


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run .delay() in-process, so on-commit work (email out, webhooks) completes inside the test."""
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False
        app.conf.task_eager_propagates = False


@pytest.fixture
def acme_sla(acme):
    return SlaPolicyFactory(tenant=acme)


def mime(name: str) -> bytes:
    return (MIME / name).read_bytes()


@pytest.fixture
def failing_mail(monkeypatch) -> list[BaseException]:
    """The mail connection (Django's locmem backend in tests) raises these errors, one per send, then sends again."""
    errors: list[BaseException] = []
    send_messages = locmem.EmailBackend.send_messages

    def flaky_send(backend, messages):
        if errors:
            raise errors.pop(0)
        return send_messages(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", flaky_send)
    return errors
