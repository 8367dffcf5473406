"""Isolation by construction: every tenant table carries tenant_id and is guarded by row-level security."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from tenants.models import Tenant, TenantOwned

# Tables with no tenant: the reference table, people (who may belong to several tenants) and Django's own.
GLOBAL_TABLES = {
    "tenants_tenant", "tenants_user", "tenants_user_groups", "tenants_user_user_permissions",
    "django_migrations", "django_content_type", "django_session", "django_admin_log",
    "auth_group", "auth_group_permissions", "auth_permission",
    "helpdesk_failedtask",  # the operator's dead-letter list (helpdesk/models.py): no tenant sees it
}


def test_every_model_with_a_tenant_fk_inherits_tenant_owned():
    offenders = [
        model._meta.label
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if getattr(field, "related_model", None) is Tenant and field.concrete and not issubclass(model, TenantOwned)
    ]
    assert offenders == []


@pytest.mark.django_db
def test_every_table_is_global_or_carries_tenant_id():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT EXISTS ("
            "  SELECT 1 FROM pg_attribute a"
            "  WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)"
        )
        untenanted = {row[0] for row in cursor.fetchall()}
    # A many-to-many table Django made on its own would show up here: use a TenantOwned through model.
    assert untenanted - GLOBAL_TABLES == set()


@pytest.mark.django_db
def test_every_tenant_table_forces_a_tenant_policy():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "  EXISTS (SELECT 1 FROM pg_policies p"
            "          WHERE p.tablename = c.relname AND p.policyname = 'tenant_isolation') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        )
        rows = cursor.fetchall()
    assert len(rows) >= 4
    unguarded = [name for name, enabled, forced, has_policy in rows if not (enabled and forced and has_policy)]
    assert unguarded == []


@pytest.mark.django_db
def test_the_application_role_cannot_bypass_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        user, is_super, bypass = cursor.fetchone()
    assert user == settings.DATABASE_APP_ROLE
    assert (is_super, bypass) == (False, False)


@pytest.mark.django_db
def test_the_application_role_cannot_change_the_schema():
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE tenants_membership DISABLE ROW LEVEL SECURITY")
