from __future__ import annotations

from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"

    def ready(self) -> None:
        from ai import receivers  # noqa: F401  (connects the event receivers)
