from __future__ import annotations

from django.urls import path

from ai import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("settings/", views.settings_page, name="settings"),
    path("train/", views.train, name="train"),
    path("suggestions/<int:suggestion_id>/feedback/", views.suggestion_feedback, name="suggestion_feedback"),
    path("chat/<int:conversation_id>/suggestion/", views.chat_suggestion, name="chat_suggestion"),
]
