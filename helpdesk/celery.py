"""The Celery app: queues ``default`` and ``ai``; tasks run each unit of work inside its tenant's context."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class TenantTask(Task):  # type: ignore[type-arg]
    """Base for tasks that take ``tenant_id`` as their first argument.

    Sets row-level security's tenant for the task's transaction, so a task for tenant A reads nothing of B
    even through a query that forgot its filter. Tasks are acks_late (settings) and must be safe to run twice.
    """

    abstract = True

    def __call__(self, tenant_id: int, *args: Any, **kwargs: Any) -> Any:
        from tenants.rls import tenant_context

        with tenant_context(int(tenant_id)):
            return super().__call__(tenant_id, *args, **kwargs)


@worker_init.connect
def _worker_refuse_unsafe(**kwargs: Any) -> None:
    import django

    from helpdesk.checks import start_refuse_unsafe

    django.setup()
    start_refuse_unsafe()
