"""Agent pages of the chat (namespace ``chat``), under /t/<tenant_slug>/chat/."""

from __future__ import annotations

from django.urls import path

from chat import views

urlpatterns = [
    path("", views.console, name="console"),
    path("settings/", views.chat_settings, name="settings"),
    path("<int:conversation_id>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
