"""Operator command: list tenants."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tenants import selectors


class Command(BaseCommand):
    help = "List every tenant with its id, slug, name and custom domain."

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = list(selectors.tenant_list())
        if not tenants:
            self.stdout.write("No tenants yet. Create one with: manage.py create_tenant SLUG --owner-email ...")
            return
        self.stdout.write(f"{'id':>5}  {'slug':<24} {'name':<32} domain")
        for tenant in tenants:
            state = "" if tenant.is_active else " (inactive)"
            self.stdout.write(
                f"{tenant.id:>5}  {tenant.slug:<24} {tenant.name:<32} {tenant.custom_domain or '-'}{state}"
            )
