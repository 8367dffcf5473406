"""Seed the demo tenant (idempotent): users, then each app's demo content (``<app>/seed.py: seed()``)."""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand

from tenants.models import Membership, Role, Tenant, User
from tenants.rls import tenant_context
from tenants.services import tenant_create

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password"
DEMO_USERS = [("admin@demo.test", "Dana Admin", Role.OWNER), ("agent@demo.test", "Alex Agent", Role.AGENT),
              ("agent2@demo.test", "Sam Agent", Role.AGENT)]
# Apps contribute their demo content here, in dependency order.
SEED_MODULES = ["kb.seed", "tickets.seed", "chat.seed", "ai.seed"]


class Command(BaseCommand):
    help = "Create or update the demo tenant 'demo' (Northwind Bank) with users and demo content."

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            tenant = tenant_create(slug=DEMO_SLUG, name="Northwind Bank", owner_email=DEMO_USERS[0][0],
                                   owner_password=DEMO_PASSWORD, owner_name=DEMO_USERS[0][1])
            tenant.branding = {"primary_color": "#0f766e", "welcome": "How can we help you today?"}
            tenant.save(update_fields=["branding"])
        for email, name, role in DEMO_USERS:
            user = User.objects.filter(email=email).first() or User.objects.create_user(email, DEMO_PASSWORD, name=name)
            with tenant_context(tenant.id):
                Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
        for module_name in SEED_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            with tenant_context(tenant.id):
                module.seed(tenant=tenant, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo tenant 'demo' (Northwind Bank) is ready."))
        for email, _, role in DEMO_USERS:
            self.stdout.write(f"  {role:<6} {email} / {DEMO_PASSWORD}")
