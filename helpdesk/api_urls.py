"""The REST API of every app under /t/<slug>/api/v1/."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("tenants.api_urls")),
    path("", include("tickets.api_urls")),
    path("", include("kb.api_urls")),
    path("", include("chat.api_urls")),
    path("", include("ai.api_urls")),
]
