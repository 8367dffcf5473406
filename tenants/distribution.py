"""Keys that lead with the tenant, and the tables' distribution when the database is a Citus cluster.

Every tenant-owned table's primary key is ``(tenant_id, id)`` and every reference between two of them is the
composite foreign key ``(tenant_id, <name>_id) -> (tenant_id, id)``. Django still addresses rows by ``id`` (its
primary key in the models): ids come from one sequence, so ``id`` alone stays unique in practice, and Django 5.2
cannot point a ForeignKey at a model with a composite primary key. The database, though, needs the tenant in
every key: Citus can only distribute tables by ``tenant_id`` if each unique constraint contains it, and a composite
foreign key also stops a row from referencing another tenant's row.

Django creates tables with a primary key on ``id``; ``tenant_keys_apply`` rewrites the keys after ``migrate``
(idempotent, data in place), next to the row-level security policies (tenants/rls.py). On a database with the
``citus`` extension, ``cluster_tables_distribute`` then makes every tenant-owned table a distributed table by
``tenant_id`` (co-located, so a tenant's rows of all tables live on one worker) and every other table a reference
table (copied to every node: tenants, users, Django's own tables). On plain PostgreSQL it does nothing.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import connections, transaction
from django.db.models import Model

from tenants.rls import LEAKPROOF_FUNCTIONS, apply_policies, tenant_owned_models

logger = logging.getLogger(__name__)

# The tables Citus leaves on the coordinator: Django's migration ledger is read and written only by migrate.
LOCAL_TABLES = frozenset({"django_migrations"})
# Functions that act on one tenant's rows: on a cluster they run on the worker holding the tenant (their first
# argument) when called outside a transaction, one round trip instead of one per statement.
TENANT_FUNCTIONS = {
    "chat_message_post(bigint, bigint, text, bigint, boolean, text, jsonb, jsonb, text, text[], bigint, boolean)":
        ("p_tenant", "chat_conversation"),
}


def _constraint_name(table: str, suffix: str) -> str:
    name = f"{table}_{suffix}"
    if len(name) <= 63:
        return name
    return f"{name[:50]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}_{suffix[-3:]}"[:63]


def tenant_foreign_keys(model: type[Model]) -> list[Any]:
    from tenants.models import TenantForeignKey

    return [field for field in model._meta.concrete_fields if isinstance(field, TenantForeignKey)]


def _constraints(cursor: Any, table: str, kind: str) -> list[tuple[str, list[str], str | None]]:
    """(name, columns, referenced table) of the table's constraints of one kind ('p', 'u', 'f')."""
    cursor.execute(
        """
        SELECT c.conname, array_agg(a.attname ORDER BY k.ord), c.confrelid::regclass::text
        FROM pg_constraint c
        CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        WHERE c.conrelid = %s::regclass AND c.contype = %s
        GROUP BY c.conname, c.confrelid
        """,
        [f'"{table}"', kind],
    )
    return [(name, list(columns), None if referenced == "-" else referenced.strip('"'))
            for name, columns, referenced in cursor.fetchall()]


def tenant_keys_apply(using: str = "owner") -> None:
    """Give every tenant-owned table its ``(tenant_id, id)`` primary key and composite foreign keys (idempotent)."""
    connection = connections[using]
    models = tenant_owned_models()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        tables = {model._meta.db_table for model in models} & existing
        # Single-column references to a tenant table's id go first: the primary key on id they depend on goes next.
        for table in sorted(existing):
            for name, columns, referenced in _constraints(cursor, table, "f"):
                if referenced in tables and columns[:1] != ["tenant_id"]:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for table in sorted(tables):
            for name, columns, _ in _constraints(cursor, table, "p"):
                if columns != ["tenant_id", "id"]:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}", '
                                   f'ADD CONSTRAINT "{_constraint_name(table, "pkey")}" PRIMARY KEY (tenant_id, id)')
        for model in models:
            table = model._meta.db_table
            if table not in tables:
                continue
            present = {name for name, _, _ in _constraints(cursor, table, "f")}
            for field in tenant_foreign_keys(model):
                name = _constraint_name(table, f"{field.column}_tenant_fk")
                if name in present:
                    continue
                # Django enforces on_delete itself; the database checks the reference at commit, like Django's own.
                cursor.execute(
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY (tenant_id, "{field.column}") '
                    f'REFERENCES "{field.related_model._meta.db_table}" (tenant_id, id) DEFERRABLE INITIALLY DEFERRED'
                )


def is_cluster(using: str = "default") -> bool:
    """Whether the database is a Citus coordinator (the ``citus`` extension is installed in it)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        return bool(cursor.fetchone()[0])


def cluster_tables_distribute(using: str = "owner") -> None:
    """On a Citus coordinator: distribute tenant-owned tables by tenant_id and replicate the rest (idempotent)."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
        # tenants.rls sets the tenant with SET LOCAL; this makes Citus pass it on to the workers.
        cursor.execute(f'ALTER DATABASE "{database}" SET citus.propagate_set_commands = \'local\'')
        existing = set(connection.introspection.table_names(cursor))
        cursor.execute("SELECT logicalrelid::regclass::text FROM pg_dist_partition")
        pending = existing - {row[0].strip('"') for row in cursor.fetchall()} - LOCAL_TABLES
        tenant_tables = {model._meta.db_table for model in tenant_owned_models()} & existing
        # Foreign keys wait until both ends are Citus tables: a local table that references a reference table
        # becomes a "Citus local table", which cannot be distributed afterwards (its identity column).
        foreign_keys: list[tuple[str, str, str]] = []
        for table in sorted(pending):
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = %s::regclass AND contype = 'f'", [f'"{table}"'])
            for name, definition in cursor.fetchall():
                foreign_keys.append((table, name, definition))
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for table in sorted(pending - tenant_tables):
            logger.info("Citus: reference table %s", table)
            cursor.execute("SELECT create_reference_table(%s)", [f'"{table}"'])
        for table in sorted(pending & tenant_tables):
            logger.info("Citus: distributing %s by tenant_id", table)
            # One co-location group: a tenant's rows of every table share a worker, so joins stay on it.
            cursor.execute("SELECT create_distributed_table(%s, 'tenant_id', colocate_with => 'default')",
                           [f'"{table}"'])
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for signature, (argument, colocated) in TENANT_FUNCTIONS.items():
            name = signature.split("(")[0]
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = %s)", [name])
            if cursor.fetchone()[0]:
                cursor.execute("SELECT create_distributed_function(%s, %s, colocate_with => %s)",
                               [signature, argument, colocated])
        # The workers run the full-text matches; they need the same LEAKPROOF marking as the coordinator.
        for function in LEAKPROOF_FUNCTIONS:
            cursor.execute("SELECT run_command_on_workers(%s)", [f"ALTER FUNCTION {function} LEAKPROOF"])


def schema_after_migrate(sender: Any, using: str = "owner", **kwargs: Any) -> None:
    """After every ``migrate``: tenant keys, then (on Citus) distribution, then row-level security, so a new tenant
    table is never left open or undistributed."""
    # Flushes in tests emit post_migrate on the application alias, which must not (and cannot) alter tables.
    if sender.name != "tenants" or using != "owner":
        return
    with transaction.atomic(using=using):
        cluster = is_cluster(using)
        if cluster:
            with connections[using].cursor() as cursor:
                # DDL on many shards in one transaction next to reference tables must use one connection per node.
                cursor.execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
        tenant_keys_apply(using)
        if cluster:
            cluster_tables_distribute(using)
        apply_policies(using)
