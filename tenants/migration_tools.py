"""Helpers for data migrations over tenant-owned tables.

Migrations run as the owner of the tables, and the tables force row-level security, so a data migration sees a
tenant's rows only with that tenant set for its transaction, as ``tenants.rls.tenant_context`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def each_tenant(apps: Any, schema_editor: Any) -> Iterator[int]:
    """Every tenant's id, with row-level security set to that tenant while the caller works on it."""
    db = schema_editor.connection.alias
    tenant_ids = list(apps.get_model("tenants", "Tenant").objects.using(db).values_list("id", flat=True))
    with schema_editor.connection.cursor() as cursor:
        try:
            for tenant_id in tenant_ids:
                cursor.execute(f"SET LOCAL app.tenant_id = '{int(tenant_id)}'")  # reaches Citus workers
                yield tenant_id
        finally:
            cursor.execute("SET LOCAL app.tenant_id = ''")
