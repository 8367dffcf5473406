from __future__ import annotations

from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    """The project package as an app: only for project-wide management commands (seed_demo)."""

    name = "helpdesk"
    label = "helpdesk"
