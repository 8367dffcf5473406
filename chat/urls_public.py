"""Hosted chat pages (namespace ``chatpage``), under /c/<tenant_slug>/."""

from __future__ import annotations

from django.urls import path

from chat import views_public

urlpatterns = [
    path("", views_public.chat_page, name="page"),
    path("start/", views_public.chat_start, name="start"),
    path("widget.js", views_public.widget_js, name="widget"),
    path("attachments/", views_public.attachment_upload, name="attachment_upload"),
    path("attachments/<int:attachment_id>/", views_public.attachment_download, name="attachment"),
]
