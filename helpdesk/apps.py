from __future__ import annotations

from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    """The project package as an app: project-wide management commands (seed_demo) and deployment checks."""

    name = "helpdesk"
    label = "helpdesk"

    def ready(self) -> None:
        from helpdesk import checks  # noqa: F401  (registers the deployment checks)
