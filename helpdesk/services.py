"""Writes of project-wide records: the failed-task list."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from helpdesk.models import FailedTask

logger = logging.getLogger(__name__)


def failed_task_record(*, name: str, task_id: str, args: list[Any], kwargs: dict[str, Any], error: str,
                       traceback: str) -> FailedTask | None:
    """Keep a task that failed for good. With the database itself down, the worker's log is all that is left."""
    from helpdesk.celery import TenantTask, app

    task = app.tasks.get(name)
    tenant_ref = int(args[0]) if isinstance(task, TenantTask) and args and str(args[0]).isdigit() else None
    try:
        return FailedTask.objects.create(name=name[:200], task_id=task_id[:64], args=_jsonable(args),
                                         kwargs=_jsonable(kwargs), tenant_ref=tenant_ref, error=error[:4000],
                                         traceback=traceback[-20000:])
    except DatabaseError:
        logger.exception("task %s %s failed (%s) and could not be recorded", name, task_id, error)
        return None


def failed_task_retry(failed: FailedTask) -> str:
    """Run the task again with its arguments; returns the new task's id."""
    from helpdesk.celery import app

    result = app.send_task(failed.name, args=failed.args, kwargs=failed.kwargs)
    failed.retried_at = timezone.now()
    failed.save(update_fields=["retried_at"])
    return str(result.id)


def _jsonable(value: Any) -> Any:
    """Task arguments are JSON already (the broker's serializer); anything else is kept as its repr."""
    import json

    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)
