"""Celery adapters of the knowledge base (routed to the ``ai`` queue by settings, unless a task says otherwise)."""

from __future__ import annotations

from typing import Any

from helpdesk.celery import TenantTask, app
from kb import indexing
from tenants.selectors import tenant_get


@app.task(base=TenantTask, name="kb.tasks.article_index", acks_late=True)
def article_index(tenant_id: int, article_id: int) -> int:
    """(Re)build the chunks of a published article, or drop them if it is no longer published. Safe to repeat."""
    return indexing.article_index(tenant=tenant_get(tenant_id=tenant_id), article_id=article_id)


class ImportJobTask(TenantTask):
    """TenantTask's retries and failure bookkeeping, without its one transaction around the whole task: that would
    hide an import's progress until the end, so the service opens the tenant's context for each file itself. A task
    that fails for good fails its job, so that the job's page stops waiting."""

    abstract = True
    one_transaction = False

    def failed_for_good(self, exc: BaseException, tenant_id: int, *args: Any) -> None:
        from kb import importing

        importing.import_job_fail(tenant=tenant_get(tenant_id=tenant_id), job_id=int(args[0]))


# Acknowledged when it starts: an import can outlast the broker's visibility timeout, which would hand it to a second
# worker while the first still runs; the job row keeps its state instead (a killed worker's job shows as stalled,
# and an admin starts it again). The default queue, not ai: importing embeds nothing (it enqueues article_index for
# that), and the ai worker, one task at a time, answers the chats.
@app.task(base=ImportJobTask, name="kb.tasks.import_job_run_task", acks_late=False, queue="default")
def import_job_run_task(tenant_id: int, job_id: int) -> None:
    """Import an uploaded zip (an ImportJob). Safe to repeat: a finished job is left alone."""
    from kb import importing

    importing.import_job_run(tenant=tenant_get(tenant_id=tenant_id), job_id=job_id)
