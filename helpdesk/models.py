"""Project-wide records that belong to no app: the tasks that failed for good (the dead-letter list)."""

from __future__ import annotations

from django.db import models


class FailedTask(models.Model):
    """A Celery task whose retries are spent, kept with its arguments so the operator can read why and run it again
    (Django admin, ``manage.py failed_tasks``). Not a tenant's row: the operator owns the workers."""

    name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    # The tenant the task ran for (its first argument, for tenant tasks): a plain id, so the record outlives it,
    # and not named tenant_id, which would mark this an isolated tenant table (tests/tenants/test_scoping.py).
    tenant_ref = models.IntegerField(null=True, blank=True)
    error = models.TextField()
    traceback = models.TextField(blank=True)
    failed_at = models.DateTimeField(auto_now_add=True)
    retried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-failed_at"]
        indexes = [models.Index(fields=["-failed_at"])]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id}"
