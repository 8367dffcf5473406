from __future__ import annotations

from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
