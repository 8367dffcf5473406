"""The public help center, namespace ``helpcenter`` (under /h/<tenant_slug>/)."""

from __future__ import annotations

from django.urls import path

from kb import views_public

urlpatterns = [
    path("", views_public.home, name="home"),
    path("search/", views_public.search, name="search"),
    path("categories/<slug:slug>/", views_public.category, name="category"),
    path("articles/<slug:slug>/", views_public.article, name="article"),
    path("articles/<slug:slug>/feedback/", views_public.feedback, name="feedback"),
]
