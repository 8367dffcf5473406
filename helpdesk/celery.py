"""The Celery app: queues ``default`` and ``ai``; tasks run each unit of work inside its tenant's context."""

from __future__ import annotations

import logging
import os
from typing import Any

import redis.exceptions
from celery import Celery, Task
from celery.signals import task_failure, worker_init
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

logger = logging.getLogger(__name__)
app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Failures that pass: a database restart or fail-over, a Redis restart. A task that meets one runs again later.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError, InterfaceError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, BrokerError,
)


class TenantTask(Task):  # type: ignore[type-arg]
    """Base for tasks that take ``tenant_id`` as their first argument.

    Sets row-level security's tenant for the task's transaction, so a task for tenant A reads nothing of B
    even through a query that forgot its filter. Tasks are acks_late (settings) and must be safe to run twice.
    """

    abstract = True
    # Retried with backoff (2, 4, 8, 16 s, then every 20 s: kept under the broker's visibility timeout, which would
    # otherwise hand a waiting retry to a second worker); after that the task lands among the failed tasks.
    max_retries = 8
    retry_backoff_max_s = 20
    # What is retried; a task adds its own passing failures (a mail server's, say) with the task option retry_for.
    retry_for: tuple[type[Exception], ...] = TRANSIENT_ERRORS
    # False: the task opens its tenant's context itself, in several transactions (to show progress as it goes).
    one_transaction = True

    def __call__(self, tenant_id: int, *args: Any, **kwargs: Any) -> Any:
        from tenants.rls import tenant_context

        # Around the tenant's transaction, not inside it (celery's autoretry_for wraps only the body): a database
        # that is down fails the transaction's own start and end too, and those must be retried as well.
        try:
            if not self.one_transaction:
                return super().__call__(tenant_id, *args, **kwargs)
            with tenant_context(int(tenant_id)):
                return super().__call__(tenant_id, *args, **kwargs)
        except self.retry_for as exc:
            if self.request.called_directly:
                raise
            raise self.retry(exc=exc, countdown=self.retry_countdown(self.request.retries)) from exc

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """The task failed for good: ``failed_for_good`` tells its users. An error raised here would stop the worker
        (and the failed-task record written next), so it is logged instead."""
        try:
            self.failed_for_good(exc, int(args[0]), *args[1:])
        except Exception:
            logger.exception("task %s of tenant %s: its failure could not be recorded", self.name, args[0])

    def failed_for_good(self, exc: BaseException, tenant_id: int, *args: Any) -> None:
        """What a task does for the people waiting on it when it fails for good (a page that says so, a hand-off)."""

    def retry_countdown(self, retries: int) -> int:
        """Seconds before retry number ``retries + 1``."""
        return min(self.retry_backoff_max_s, 2 ** (retries + 1))


@worker_init.connect
def _worker_refuse_unsafe(**kwargs: Any) -> None:
    import django

    from helpdesk.checks import start_refuse_unsafe

    django.setup()
    start_refuse_unsafe()


@task_failure.connect
def _task_failed(sender: Task | None = None, task_id: str = "", exception: BaseException | None = None,  # type: ignore[type-arg]
                 args: Any = None, kwargs: Any = None, einfo: Any = None, **extra: Any) -> None:
    """A task that failed for good (its retries spent, or an error no retry cures) is kept for the operator."""
    from helpdesk.services import failed_task_record

    failed_task_record(name=getattr(sender, "name", "?"), task_id=task_id, args=list(args or []),
                       kwargs=dict(kwargs or {}), error=repr(exception), traceback=str(einfo or ""))


# --- Model warm-up for AI workers (ai/backends/warmup.py). Kept apart from the task machinery above. ---

from celery.signals import worker_process_init  # noqa: E402  (this block's own import)


@worker_process_init.connect
def _warm_up_ai_worker(**kwargs: Any) -> None:
    """A worker that consumes the ``ai`` queue loads its models before its first task, which would otherwise wait
    7 to 9.5 s for them. Sent in the process that runs the tasks: a solo pool's main process, before it consumes,
    which may take as long as loading needs; or each prefork child, which Celery kills when its start takes over
    4 s (worker_proc_alive_timeout), so there the models load in a background thread."""
    from billiard.process import current_process
    from django.conf import settings

    from ai.backends import warmup

    ai_queue = settings.CELERY_TASK_ROUTES["ai.*"]["queue"]
    if not settings.AI_WARM_UP or ai_queue not in (app.amqp.queues.consume_from or {}):
        return
    if current_process().name == "MainProcess":
        warmup.warm_up(warmup.ANSWER)
    else:
        warmup.warm_up_in_background(warmup.ANSWER)

