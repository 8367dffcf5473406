"""Operator command: create a tenant with its owner."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants import services


class Command(BaseCommand):
    help = "Create a tenant (help desk) and its owner account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="address of the help desk: /t/<slug>/")
        parser.add_argument("--name", default="", help="company name (default: the slug)")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", help="default: a random one, printed")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["owner_password"] or secrets.token_urlsafe(12)
        try:
            tenant = services.tenant_create(
                slug=options["slug"], name=options["name"], owner_email=options["owner_email"],
                owner_password=password,
            )
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"error": exc.messages}
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in messages.items())) from exc
        self.stdout.write(self.style.SUCCESS(f"Created tenant {tenant.slug} (id {tenant.id})."))
        if not options["owner_password"]:
            self.stdout.write(f"Owner {options['owner_email']} password: {password}")
