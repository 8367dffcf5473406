"""Django's PostgreSQL backend with one change: GROUP BY of a tenant table lists its selected columns.

Django shortens ``GROUP BY`` to a table's primary key when it selects that table's columns, which PostgreSQL
accepts only when the whole primary key is grouped. A tenant table's is ``(tenant_id, id)`` in the database
(tenants/distribution.py) but ``id`` in the model, so Django's shortened clause would be refused.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model: Any) -> bool:
        from tenants.models import TenantOwned

        return bool(super().allows_group_by_selected_pks_on_model(model)) and not issubclass(model, TenantOwned)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
