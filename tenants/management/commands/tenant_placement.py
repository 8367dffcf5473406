"""Operator command: where each tenant lives on a Citus cluster, and moving one to a worker of its own."""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from tqdm import tqdm

from tenants import distribution, selectors
from tenants.models import Tenant


def _size(count: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return str(count)


class Command(BaseCommand):
    help = ("List the worker and shard group of every tenant on a Citus cluster; --move SLUG gives that tenant a "
            "shard group of its own and moves it to another worker (--to NODE, default the emptiest) while the "
            "tenant is served.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--move", metavar="SLUG", help="the tenant to isolate and move")
        parser.add_argument("--to", metavar="NODE", help="the worker to move it to (a name from the listing)")
        parser.add_argument("--database", default="owner", help="database alias (default: owner)")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if not distribution.is_cluster(using):
            raise CommandError("This database is not a Citus cluster: every tenant lives on the one server.")
        if options["move"]:
            tenant = selectors.tenant_by_slug(options["move"])
            if tenant is None:
                raise CommandError(f"No tenant with the slug {options['move']!r}.")
            self.stdout.write(f"Moving {tenant.slug} (copying while it is served; this can take a while)...")
            try:
                moved = self._move_with_progress(tenant, options["to"], using)
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(self.style.SUCCESS(f"{tenant.slug} now lives alone in shard group "
                                                 f"{moved.shard_id} on {moved.node}:{moved.port}."))
            return
        self.stdout.write("Workers:")
        for name, port, held in distribution.cluster_workers(using):
            self.stdout.write(f"  {name}:{port}  {_size(held)}")
        placements = distribution.tenant_placements(using)
        if not placements:
            self.stdout.write("No tenants yet.")
            return
        self.stdout.write(f"{'tenant':<24} {'worker':<40} {'shard':>8} {'group size':>11}  alone")
        for p in placements:
            self.stdout.write(f"{p.slug:<24} {p.node + ':' + str(p.port):<40} {p.shard_id:>8} "
                              f"{_size(p.group_bytes):>11}  {'yes' if p.isolated else 'no'}")

    def _move_with_progress(self, tenant: Tenant, to_node: str | None, using: str) -> distribution.Placement:
        """The move runs in a thread; this one shows the bytes Citus has copied so far."""
        outcome: dict[str, Any] = {}

        def move() -> None:
            try:
                outcome["placement"] = distribution.tenant_move(tenant.id, to_node=to_node, using=using)
            except BaseException as error:
                outcome["error"] = error
            finally:
                connections.close_all()

        mover = threading.Thread(target=move, name=f"move-{tenant.slug}")
        mover.start()
        with tqdm(desc="Copying", unit="B", unit_scale=True, file=self.stderr) as bar:  # type: ignore[arg-type]
            while mover.is_alive():
                mover.join(1.0)
                copied, total = distribution.move_progress(using)
                if total:
                    bar.total = max(total, copied)
                    bar.n = copied
                    bar.refresh()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["placement"]  # type: ignore[no-any-return]
