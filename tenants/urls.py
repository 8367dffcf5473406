"""Tenant-prefixed pages of the tenants app (included under /t/<tenant_slug>/)."""

from __future__ import annotations

from django.urls import path

from tenants import views

urlpatterns = [
    path("", views.tenant_home, name="tenant_home"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("settings/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("settings/audit/", views.audit_log, name="audit_log"),
    path("join/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
