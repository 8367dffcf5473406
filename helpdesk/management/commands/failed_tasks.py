"""List the tasks that failed for good, and run them again: ``failed_tasks``, ``failed_tasks --retry 12 13``,
``failed_tasks --retry-all``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpdesk.models import FailedTask
from helpdesk.services import failed_task_retry


class Command(BaseCommand):
    help = "List tasks that failed after their retries, or queue them again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--retry", type=int, nargs="+", metavar="ID", help="queue these failed tasks again")
        parser.add_argument("--retry-all", action="store_true", help="queue every failed task not yet retried")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry"] or options["retry_all"]:
            failed = (FailedTask.objects.filter(retried_at__isnull=True) if options["retry_all"]
                      else FailedTask.objects.filter(id__in=options["retry"]))
            missing = set(options["retry"] or []) - {f.id for f in failed}
            if missing:
                raise CommandError(f"No failed task with id {', '.join(map(str, sorted(missing)))}.")
            for item in failed:
                self.stdout.write(f"{item.id}: {item.name} queued as {failed_task_retry(item)}")
            return
        rows = FailedTask.objects.all()[:200]
        if not rows:
            self.stdout.write("No failed tasks.")
            return
        for item in rows:
            state = f"retried {item.retried_at:%Y-%m-%d %H:%M}" if item.retried_at else "not retried"
            self.stdout.write(f"{item.id:>6}  {item.failed_at:%Y-%m-%d %H:%M}  {item.name:<40} tenant "
                              f"{item.tenant_ref or '-':<5} {state:<24} {item.error[:80]}")
