"""Agent pages, under /t/<tenant_slug>/tickets/ (namespace ``tickets``)."""

from __future__ import annotations

from django.urls import path

from tickets import views, views_setup

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:ticket_id>/", views.detail, name="detail"),
    path("<int:ticket_id>/reply/", views.reply, name="reply"),
    path("<int:ticket_id>/update/", views.update, name="update"),
    path("<int:ticket_id>/merge/", views.merge, name="merge"),
    path("messages/<int:message_id>/email-retry/", views.email_retry, name="email_retry"),
    path("<int:ticket_id>/macros/<int:macro_id>/", views.macro_preview, name="macro_preview"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("setup/", views_setup.setup, name="setup"),
    path("setup/email/", views_setup.email_settings, name="email_settings"),
    path("setup/email/mailbox/", views_setup.mailbox_save, name="mailbox_save"),
    path("setup/email/mailbox/remove/", views_setup.mailbox_remove, name="mailbox_remove"),
    path("setup/macros/", views_setup.macro_add, name="macro_add"),
    path("setup/teams/", views_setup.team_add, name="team_add"),
    path("setup/sla/", views_setup.sla_save, name="sla_save"),
]
