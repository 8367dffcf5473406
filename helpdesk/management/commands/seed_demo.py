"""Seed the demo tenants (idempotent): users, then each app's demo content (``<app>/seed.py: seed()``).

Two tenants, so that one run shows both languages: Northwind Bank (``demo``, English) and 青云家电商城 (``qingyun``,
Chinese first, English on offer). Each app's seed keeps both contents, keyed by the tenant's slug.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class DemoTenant:
    """What seed_demo needs to know of a demo tenant; each app's seed looks up its content by ``slug``."""

    slug: str
    name: str
    users: Sequence[tuple[str, str, str]]  # email, name, role; the owner first
    branding: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    user_language: str = ""  # its members' User.language; blank: their browser's


DEMO_TENANTS = [
    DemoTenant(slug=DEMO_SLUG, name="Northwind Bank", users=DEMO_USERS,
               branding={"primary_color": "#0f766e", "welcome": "How can we help you today?"}),
    DemoTenant(slug="qingyun", name="青云家电商城",
               users=[("admin@qingyun.test", "林晓", Role.OWNER), ("agent@qingyun.test", "王芳", Role.AGENT),
                      ("agent2@qingyun.test", "陈磊", Role.AGENT)],
               branding={"primary_color": "#c2410c", "welcome": "您好，欢迎来到青云家电，请问有什么可以帮您？"},
               settings={"language": "zh-hans", "languages": ["en"], "timezone": "Asia/Shanghai"},
               user_language="zh-hans"),
]


class Command(BaseCommand):
    help = ("Create or update the demo tenants 'demo' (Northwind Bank, English) and 'qingyun' (青云家电商城, Chinese) "
            "with users and demo content.")

    def handle(self, *args: Any, **options: Any) -> None:
        for demo in DEMO_TENANTS:
            self._seed(demo)
        for demo in DEMO_TENANTS:
            self.stdout.write(self.style.SUCCESS(f"Demo tenant '{demo.slug}' ({demo.name}) is ready."))
            for email, _, role in demo.users:
                self.stdout.write(f"  {role:<6} {email} / {DEMO_PASSWORD}")

    def _seed(self, demo: DemoTenant) -> None:
        tenant = Tenant.objects.filter(slug=demo.slug).first()
        if tenant is None:
            owner_email, owner_name, _ = demo.users[0]
            tenant = tenant_create(slug=demo.slug, name=demo.name, owner_email=owner_email,
                                   owner_password=DEMO_PASSWORD, owner_name=owner_name)
            tenant.branding, tenant.settings = demo.branding, {**tenant.settings, **demo.settings}
            tenant.save(update_fields=["branding", "settings"])
        for email, name, role in demo.users:
            user = User.objects.filter(email=email).first() or User.objects.create_user(email, DEMO_PASSWORD, name=name)
            if demo.user_language and not user.language:
                user.language = demo.user_language
                user.save(update_fields=["language"])
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
                module.seed(tenant=tenant, stdout=self.stdout, content=demo.slug)
