"""The failed-task list: a task whose retries are spent (or that meets an error no retry cures) is kept with its
arguments, and the operator runs it again from Django admin or the command line."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from helpdesk.celery import TenantTask, app
from helpdesk.models import FailedTask
from tests.reliability.conftest import broker

pytestmark = pytest.mark.django_db
calls: list[int] = []


@app.task(base=TenantTask, name="tests.reliability.flaky", acks_late=True)
def flaky(tenant_id: int, failures: int) -> str:
    calls.append(tenant_id)
    if len(calls) <= failures:
        raise OperationalError("the database went away")
    return "done"


@app.task(base=TenantTask, name="tests.reliability.broken", acks_late=True)
def broken(tenant_id: int, note: str) -> None:
    raise ValueError(f"cannot handle {note}")


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    calls.clear()


def test_a_transient_error_is_retried_until_it_passes(acme) -> None:
    assert flaky.apply(args=(acme.id, 3)).get() == "done"
    assert len(calls) == 4 and not FailedTask.objects.exists()


def test_retries_that_never_pass_land_in_the_list(acme) -> None:
    result = flaky.apply(args=(acme.id, 100))
    assert result.failed() and len(calls) == 1 + TenantTask.max_retries
    [failed] = FailedTask.objects.all()
    assert failed.name == "tests.reliability.flaky" and failed.tenant_ref == acme.id
    assert failed.args == [acme.id, 100] and "database went away" in failed.error


def test_an_error_no_retry_cures_lands_in_the_list_at_once(acme) -> None:
    assert broken.apply(args=(acme.id, "this")).failed()
    [failed] = FailedTask.objects.all()
    assert "cannot handle this" in failed.error and "ValueError" in failed.traceback


def test_the_operator_retries_from_admin(admin_client, acme) -> None:
    broken.apply(args=(acme.id, "again"))
    failed = FailedTask.objects.get()
    broker().delete("default")
    page = admin_client.get("/admin/helpdesk/failedtask/")
    assert page.status_code == 200 and b"tests.reliability.broken" in page.content
    response = admin_client.post("/admin/helpdesk/failedtask/", {"action": "retry", "_selected_action": [failed.id]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.retried_at is not None
    [queued] = broker().lrange("default", 0, -1)
    message = json.loads(queued)
    assert message["headers"]["task"] == "tests.reliability.broken"


def test_the_operator_lists_and_retries_from_the_command_line(acme, capsys) -> None:
    broken.apply(args=(acme.id, "cli"))
    failed = FailedTask.objects.get()
    call_command("failed_tasks")
    assert "tests.reliability.broken" in capsys.readouterr().out
    call_command("failed_tasks", "--retry", str(failed.id))
    assert f"{failed.id}: tests.reliability.broken queued" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No failed task with id 999999"):
        call_command("failed_tasks", "--retry", "999999")


def test_an_agent_cannot_see_the_list(client, bob) -> None:
    client.force_login(bob)
    assert client.get("/admin/helpdesk/failedtask/").status_code == 302  # to the admin login: staff only
