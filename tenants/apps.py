from __future__ import annotations

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from tenants import distribution

        post_migrate.connect(distribution.schema_after_migrate, dispatch_uid="tenants.schema")
