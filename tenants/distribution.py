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
from dataclasses import dataclass
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


# The table whose shards stand for a tenant's shard group (every tenant-owned table is co-located with it).
ANCHOR_TABLE = "tenants_membership"


@dataclass(frozen=True)
class Placement:
    tenant_id: int
    slug: str
    shard_id: int
    node: str
    port: int
    isolated: bool  # the shard group holds this tenant alone
    group_bytes: int  # the shard group's size on disk, every co-located table together


def tenant_placements(using: str = "owner") -> list[Placement]:
    """Where each tenant's rows live on the cluster: its shard group, the worker holding it, its size."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            WITH groups AS (
                SELECT s.shardid, s.shardminvalue, s.shardmaxvalue,
                       (SELECT coalesce(sum(cs.shard_size), 0) FROM citus_shards cs
                          JOIN pg_dist_shard other ON other.shardid = cs.shardid
                         WHERE other.shardminvalue = s.shardminvalue AND other.shardmaxvalue = s.shardmaxvalue
                           AND cs.colocation_id = p.colocationid) AS bytes
                FROM pg_dist_shard s JOIN pg_dist_partition p ON p.logicalrelid = s.logicalrelid
                WHERE s.logicalrelid = %s::regclass
            )
            SELECT t.id, t.slug, g.shardid, n.nodename, n.nodeport, g.shardminvalue = g.shardmaxvalue, g.bytes
            FROM tenants_tenant t
            CROSS JOIN LATERAL get_shard_id_for_distribution_column(%s::regclass, t.id) AS shard(id)
            JOIN groups g ON g.shardid = shard.id
            JOIN pg_dist_placement pl ON pl.shardid = g.shardid
            JOIN pg_dist_node n ON n.groupid = pl.groupid
            ORDER BY g.bytes DESC, t.slug
            """,
            [ANCHOR_TABLE, ANCHOR_TABLE],
        )
        return [Placement(row[0], row[1], row[2], row[3], row[4], bool(row[5]), int(row[6]))
                for row in cursor.fetchall()]


def cluster_workers(using: str = "owner") -> list[tuple[str, int, int]]:
    """(name, port, bytes held) of each active worker, the emptiest first."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nodename, n.nodeport, coalesce(sum(cs.shard_size) FILTER (WHERE cs.citus_table_type =
                   'distributed'), 0)
            FROM pg_dist_node n LEFT JOIN citus_shards cs ON cs.nodename = n.nodename AND cs.nodeport = n.nodeport
            WHERE n.noderole = 'primary' AND n.isactive AND n.groupid <> 0
            GROUP BY n.nodename, n.nodeport ORDER BY 3, 1
            """
        )
        return [(row[0], row[1], int(row[2])) for row in cursor.fetchall()]


def tenant_move(tenant_id: int, *, to_node: str | None = None, using: str = "owner") -> Placement:
    """Give the tenant a shard group of its own and move it to ``to_node`` (default: the emptiest other worker).

    Both steps copy the rows by logical replication while the tenant is served, and block its writes only for
    the final switch-over (Citus' ``force_logical`` transfer mode; it needs ``wal_level = logical``).
    """
    def placement() -> Placement:
        return next(p for p in tenant_placements(using) if p.tenant_id == tenant_id)

    current = placement()
    workers = cluster_workers(using)
    if to_node is None:
        # Isolating keeps the tenant on its worker, so the target can be chosen first.
        target = next((worker for worker in workers if worker[0] != current.node), None)
    else:
        target = next((worker for worker in workers if worker[0] == to_node), None)
        if target is None:
            raise ValueError(f"{to_node} is not an active worker of the cluster")
    with connections[using].cursor() as cursor:
        if not current.isolated:
            cursor.execute("SELECT isolate_tenant_to_new_shard(%s, %s::bigint, 'CASCADE', shard_transfer_mode => "
                           "'force_logical')", [ANCHOR_TABLE, tenant_id])
            current = placement()
        if target is not None and target[0] != current.node:
            cursor.execute("SELECT citus_move_shard_placement(%s, %s, %s, %s, %s, 'force_logical')",
                           [current.shard_id, current.node, current.port, target[0], target[1]])
    return placement()


def move_progress(using: str = "owner") -> tuple[int, int]:
    """(bytes copied, bytes to copy) of the shard moves and splits running on the cluster now; (0, 0) if none."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(target_shard_size), 0), coalesce(sum(source_shard_size), 0) "
                       "FROM get_rebalance_progress()")
        copied, total = cursor.fetchone()
        return int(copied), int(total)
