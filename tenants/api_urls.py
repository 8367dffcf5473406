from __future__ import annotations

from django.urls import path

from tenants import api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="api_me"),
    path("members/", api.MemberListView.as_view(), name="api_members"),
]
