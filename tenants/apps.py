from __future__ import annotations

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from tenants import rls

        # Row-level security is (re)applied after every migrate, so a new tenant table is never left open.
        post_migrate.connect(rls.apply_after_migrate, dispatch_uid="tenants.rls")
