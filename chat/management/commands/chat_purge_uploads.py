"""Operator command: delete chat files uploaded but never sent, now (Celery beat also does it every hour)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.services.attachments import UNSENT_MAX_AGE, unsent_attachments_purge
from tenants.rls import tenant_context
from tenants.selectors import tenant_list


class Command(BaseCommand):
    help = "Delete chat files that no message references, uploaded more than --hours ago (default 24)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", default="", help="only this tenant (slug); default: every tenant")
        parser.add_argument("--hours", type=float, default=UNSENT_MAX_AGE / timedelta(hours=1),
                            help="keep uploads younger than this many hours (they may be about to be sent)")

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["hours"]
        if not math.isfinite(hours) or hours <= 0:
            raise CommandError(f"--hours must be a positive number, got {hours:g}.")
        try:
            older_than = timedelta(hours=hours)
        except OverflowError as exc:
            raise CommandError(f"--hours {hours:g} is too large.") from exc
        tenants = list(tenant_list())
        if options["tenant"]:
            tenants = [t for t in tenants if t.slug == options["tenant"]]
            if not tenants:
                raise CommandError(f"No tenant {options['tenant']!r} (manage.py list_tenants shows them).")
        total = 0
        for tenant in tenants:
            # One transaction per tenant: its row-level security context, and a failure undoes no tenant already done.
            with tenant_context(tenant.id):
                removed = unsent_attachments_purge(tenant=tenant, older_than=older_than)
            total += removed
            self.stdout.write(f"{tenant.slug}: {removed} unsent file{'' if removed == 1 else 's'} removed")
        self.stdout.write(self.style.SUCCESS(f"{total} unsent file{'' if total == 1 else 's'} removed "
                                             f"from {len(tenants)} tenant{'' if len(tenants) == 1 else 's'}."))
