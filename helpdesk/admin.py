"""The failed-task list in Django admin: read why a task failed and run it again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from helpdesk.models import FailedTask
from helpdesk.services import failed_task_retry


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin[FailedTask]):
    list_display = ("failed_at", "name", "tenant_ref", "error_short", "retried_at")
    list_filter = ("name", "retried_at")
    search_fields = ("name", "task_id", "error")
    readonly_fields = ("name", "task_id", "args", "kwargs", "tenant_ref", "error", "traceback", "failed_at",
                       "retried_at")
    actions = ["retry"]

    @admin.display(description="Error")
    def error_short(self, failed: FailedTask) -> str:
        return failed.error[:120]

    @admin.action(description="Retry the selected tasks")
    def retry(self, request: HttpRequest, queryset: QuerySet[FailedTask]) -> None:
        for failed in queryset:
            failed_task_retry(failed)
        messages.success(request, f"Queued {queryset.count()} task(s) again.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
