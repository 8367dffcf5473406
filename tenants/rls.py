"""PostgreSQL row-level security: the database backstop behind every tenant filter.

Each tenant-owned table gets ENABLE + FORCE ROW LEVEL SECURITY and a policy comparing ``tenant_id`` with the
per-transaction setting ``app.tenant_id``. The edges (HTTP middleware, WebSocket auth, Celery task base) open a
transaction with ``tenant_context`` for their unit of work. Without it a query sees no tenant rows at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Model

logger = logging.getLogger(__name__)

TENANT_SETTING = "app.tenant_id"
USER_SETTING = "app.user_id"
_CURRENT = "NULLIF(current_setting('{name}', true), '')::bigint"
TENANT_PREDICATE = f"tenant_id = {_CURRENT.format(name=TENANT_SETTING)}"

# Policies beyond tenant isolation, per table: a signed-in user may list their own memberships in every
# tenant (the tenant picker), and nothing else across tenants.
EXTRA_POLICIES: dict[str, list[tuple[str, str]]] = {
    "tenants_membership": [
        ("own_memberships", f"FOR SELECT USING (user_id = {_CURRENT.format(name=USER_SETTING)})"),
    ],
}

# Under row-level security PostgreSQL uses a WHERE clause as an index condition only when its function is
# LEAKPROOF (it may then see other tenants' rows before the policy filters them). Full-text match is not marked so
# by default, which leaves the GIN indexes unused and turns every ticket search into a scan of the tenant's rows.
# It raises no data-dependent error, so a superuser owner marks it; without one, search stays correct but slower.
LEAKPROOF_FUNCTIONS = ["pg_catalog.ts_match_vq(tsvector, tsquery)"]


# The tenant and user of the innermost tenant_context in this thread or task, for the ORM (TenantManager) and for
# restoring an outer block's setting.
_CURRENT_CONTEXT: ContextVar[tuple[int | None, int | None]] = ContextVar("tenant_context", default=(None, None))


def current_tenant_id() -> int | None:
    return _CURRENT_CONTEXT.get()[0]


def _set_local(cursor: Any, tenant_id: int | None, user_id: int | None) -> None:
    # SET LOCAL rather than set_config(): Citus passes SET LOCAL on to the workers a transaction touches
    # (citus.propagate_set_commands = 'local'), where the row-level security policies are evaluated, and passes
    # set_config() nowhere. SET takes no bind parameters; both values are integers formatted here.
    tenant = "" if tenant_id is None else str(int(tenant_id))
    user = "" if user_id is None else str(int(user_id))
    cursor.execute(f"SET LOCAL {TENANT_SETTING} = '{tenant}'; SET LOCAL {USER_SETTING} = '{user}'")


@contextmanager
def tenant_context(tenant_id: int, *, user_id: int | None = None, using: str = "default") -> Iterator[None]:
    """Run the block in a transaction whose queries see only ``tenant_id``'s rows.

    Nested use restores the outer tenant on exit, because SET LOCAL outlives a released savepoint.
    """
    outer = _CURRENT_CONTEXT.get()
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            _set_local(cursor, tenant_id, user_id)
        token = _CURRENT_CONTEXT.set((int(tenant_id), user_id))
        try:
            yield
        finally:
            _CURRENT_CONTEXT.reset(token)
        # On an exception the savepoint's rollback restores the outer values by itself.
        with connections[using].cursor() as cursor:
            _set_local(cursor, *outer)


@contextmanager
def user_context(user_id: int, *, using: str = "default") -> Iterator[None]:
    """Let the block read the user's own memberships across tenants, and no tenant's data."""
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            _set_local(cursor, None, user_id)
        yield


def tenant_owned_models() -> list[type[Model]]:
    from tenants.models import TenantOwned

    return [m for m in global_apps.get_models() if issubclass(m, TenantOwned) and not m._meta.proxy]


def policy_statements(table: str) -> list[str]:
    quoted = f'"{table}"'
    statements = [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {quoted}",
        f"CREATE POLICY tenant_isolation ON {quoted} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
    ]
    for name, body in EXTRA_POLICIES.get(table, []):
        statements += [f"DROP POLICY IF EXISTS {name} ON {quoted}", f"CREATE POLICY {name} ON {quoted} {body}"]
    return statements


def apply_policies(using: str = "owner") -> None:
    """Secure every tenant table and grant the application role what it needs (idempotent)."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for model in tenant_owned_models():
            if model._meta.db_table in existing:
                for statement in policy_statements(model._meta.db_table):
                    cursor.execute(statement)
        _mark_leakproof(cursor)
        app_role = settings.DATABASE_APP_ROLE
        cursor.execute("SELECT current_user, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", [app_role])
        current_user, app_role_exists = cursor.fetchone()
        if app_role_exists and app_role != current_user:
            role = connection.ops.quote_name(app_role)
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
            # No TRUNCATE: it ignores row-level security.
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")


def _mark_leakproof(cursor: Any) -> None:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cursor.fetchone()[0]:
        logger.warning("The migrating role is not a superuser: full-text search cannot use its GIN indexes under "
                       "row-level security (see tenants/rls.py LEAKPROOF_FUNCTIONS).")
        return
    for function in LEAKPROOF_FUNCTIONS:
        cursor.execute(f"ALTER FUNCTION {function} LEAKPROOF")
