"""Deployment checks (``manage.py check --deploy --database default``): what the project refuses to run with in
production, beyond Django's own list.

- the development SECRET_KEY: it signs customer portal links whose payload is guessable, so anyone could read any
  customer's tickets;
- ALLOWED_HOSTS "*": any Host header would be served (tenants' custom domains need no wildcard, see
  tenants.middleware.HostMiddleware);
- no FIELD_ENCRYPTION_KEYS: tenants' secrets would be encrypted with a key derived from SECRET_KEY, and rotating
  one would make the other unreadable;
- migrations and the application on one database role, or an application role that can bypass row-level
  security (a superuser, BYPASSRLS, or the owner of the tables): tenant isolation would rest on the code alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import connections


@register(Tags.security, deploy=True)
def settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        problems.append(Error("SECRET_KEY is the development key.", hint="Set SECRET_KEY (or SECRET_KEY_FILE) to a "
                              "long random value.", id="helpdesk.E001"))
    if not settings.FIELD_ENCRYPTION_KEYS:
        problems.append(Warning("FIELD_ENCRYPTION_KEYS is not set: tenants' secrets use a key derived from "
                                "SECRET_KEY.", hint="See README, Deploying safely.", id="helpdesk.W002"))
    if "*" in settings.SERVED_HOSTS:
        problems.append(Error("ALLOWED_HOSTS allows any host.", hint="List the hosts this installation serves "
                              "(tenants' custom domains are allowed on top).", id="helpdesk.E006"))
    app, owner = settings.DATABASES["default"], settings.DATABASES["owner"]
    if (app.get("USER"), app.get("HOST"), app.get("NAME")) == (owner.get("USER"), owner.get("HOST"), owner.get("NAME")):
        problems.append(Error("DATABASE_OWNER_URL is unset or names the application's role.", hint="Give migrations "
                              "the owner role and the application a role without DDL rights.", id="helpdesk.E003"))
    return problems


@register(Tags.database, Tags.security, deploy=True)
def database_role_check(app_configs: Any = None, databases: Sequence[str] | None = None,
                        **kwargs: Any) -> list[CheckMessage]:
    """Run with ``--database default``: the application's role must be subject to row-level security."""
    if not databases or "default" not in databases:
        return []
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = "
                       "current_user")
        owned = cursor.fetchone()
    problems: list[CheckMessage] = []
    if row and row[0]:
        problems.append(Error("The application's database role is a superuser or has BYPASSRLS.",
                              hint="Connect the application (DATABASE_URL) as a plain role.", id="helpdesk.E004"))
    if owned and owned[0]:
        problems.append(Error(f"The application's database role owns {owned[0]} tables, so it could switch "
                              "row-level security off.", hint="Let another role own the tables (DATABASE_OWNER_URL).",
                              id="helpdesk.E005"))
    return problems


def start_refuse_unsafe() -> None:
    """Called as the web and worker processes start: a site served over https is a deployment, and one with the
    errors above does not start at all (an operator who never runs ``check --deploy`` still hears of them).
    Plain-http development (bin/up on localhost) starts as before."""
    if settings.DEBUG or not settings.SITE_URL.startswith("https://"):
        return
    errors = [problem for problem in settings_check() if isinstance(problem, Error)]
    if errors:
        raise ImproperlyConfigured("Refusing to start: " + " ".join(f"{e.id}: {e.msg} {e.hint}" for e in errors))
