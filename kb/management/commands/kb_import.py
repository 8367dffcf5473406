"""Import a folder of Markdown files into a tenant's knowledge base, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kb import importing
from tenants.models import User
from tenants.rls import tenant_context
from tenants.selectors import tenant_by_slug


class Command(BaseCommand):
    help = "Import <folder>/<category>/<article>.md (and _category.md) into a tenant's knowledge base."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--publish", action="store_true", help="publish the imported articles")
        parser.add_argument("--author", default="", help="email of the user recorded as the author")
        parser.add_argument("--index", choices=["sync", "async", "none"], default="sync",
                            help="index published articles here (sync, default), on the ai queue, or not now")

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        tenant = tenant_by_slug(options["tenant"])
        if tenant is None:
            raise CommandError(f"no tenant {options['tenant']!r}")
        author = User.objects.filter(email=options["author"].lower()).first() if options["author"] else None
        files = list(importing.folder_files(folder))
        with tenant_context(tenant.id), tqdm(total=len(files), desc="Importing", unit="file") as bar:
            report = importing.import_files(tenant=tenant, author=author, files=files, publish=options["publish"],
                                            index=options["index"], progress=bar.update)
        self.stdout.write(self.style.SUCCESS(
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.categories} categories, {report.chunks} chunks indexed."
        ))
        for error in report.errors:
            self.stderr.write(error)
