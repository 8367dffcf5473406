"""Agent pages of the knowledge base, namespace ``kb`` (under /t/<tenant_slug>/kb/)."""

from __future__ import annotations

from django.urls import path

from kb import views

urlpatterns = [
    path("", views.articles, name="articles"),
    path("new/", views.article_new, name="article_new"),
    path("preview/", views.preview, name="preview"),
    path("search/", views.search, name="search"),
    path("import/", views.import_page, name="import"),
    path("imports/<int:job_id>/", views.import_job, name="import_job"),
    path("imports/<int:job_id>/status/", views.import_job_status, name="import_job_status"),
    path("imports/<int:job_id>/restart/", views.import_job_restart, name="import_job_restart"),
    path("categories/", views.categories, name="categories"),
    path("categories/<int:category_id>/", views.category_edit, name="category_edit"),
    path("categories/<int:category_id>/delete/", views.category_delete, name="category_delete"),
    path("<int:article_id>/", views.article_edit, name="article_edit"),
    path("<int:article_id>/publish/", views.article_publish, name="article_publish"),
    path("<int:article_id>/translate/", views.article_translate, name="article_translate"),
    path("<int:article_id>/unpublish/", views.article_unpublish, name="article_unpublish"),
    path("<int:article_id>/delete/", views.article_delete, name="article_delete"),
    path("<int:article_id>/revisions/", views.revisions, name="revisions"),
    path("<int:article_id>/revisions/<int:number>/", views.revision, name="revision"),
    path("<int:article_id>/revisions/<int:number>/restore/", views.revision_restore, name="revision_restore"),
]
