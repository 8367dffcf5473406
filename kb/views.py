"""Agent pages of the knowledge base (under /t/<slug>/kb/): authoring for admins, search for every member."""

from __future__ import annotations

import difflib
from typing import TypedDict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.http import TenantRequest, apply_validation_error, query_int, query_text
from kb import forms, importing, selectors, services
from kb.models import Article
from kb.rendering import render_markdown
from tenants.models import Role
from tenants.services import require_role
from tenants.urls_helpers import tenant_reverse


def articles(request: TenantRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    articles = selectors.article_list(tenant=request.tenant, status=status,
                                      q=query_text(request.GET.get("q"), max_length=200),
                                      category_id=query_int(category))
    page = Paginator(articles, 50).get_page(request.GET.get("page"))
    return render(request, "kb/articles.html", {
        "page": page, "categories": selectors.category_list(tenant=request.tenant), "status": status,
        "category": category, "can_edit": request.membership.has_role(Role.ADMIN),
    })


def _article_form_initial(article: Article) -> dict[str, object]:
    return {"title": article.title, "slug": article.slug, "category": article.category, "body": article.body,
            "tags": ", ".join(article.tags), "locale": article.locale}


def _editor(request: TenantRequest, article: Article | None) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    initial = _article_form_initial(article) if article else {}
    form = forms.ArticleForm(request.POST or None, initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.article_save(
                tenant=request.tenant, author=request.user, article=article, title=data["title"], body=data["body"],
                slug=data["slug"], category=data["category"], tags=data["tags"], locale=data["locale"],
                note=data["note"],
            )
            if request.POST.get("action") == "publish" and not article.is_published:
                article = services.article_publish(tenant=request.tenant, article=article)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Published.") if article.is_published else _("Saved as draft."))
            return redirect(tenant_reverse(request.tenant, "kb:article_edit", article.id))
    preview_html = render_markdown(form["body"].value() or "")
    context: dict[str, object] = {"form": form, "article": article, "preview": preview_html}
    if article is not None:
        context["feedback"] = selectors.feedback_summary(tenant=request.tenant, article=article)
        context["translations"] = selectors.article_group(tenant=request.tenant, article=article)
        context["translate_form"] = forms.TranslateForm()
        context["comments"] = selectors.feedback_recent(tenant=request.tenant, article=article)
    return render(request, "kb/editor.html", context, status=400 if form.errors else 200)


def article_new(request: TenantRequest) -> HttpResponse:
    return _editor(request, None)


def article_edit(request: TenantRequest, article_id: int) -> HttpResponse:
    return _editor(request, selectors.article_get(tenant=request.tenant, article_id=article_id))


@require_POST
def article_translate(request: TenantRequest, article_id: int) -> HttpResponse:
    """A draft translation of the article, opened in the editor for the translator."""
    require_role(request.membership, Role.ADMIN)
    article = selectors.article_get(tenant=request.tenant, article_id=article_id)
    form = forms.TranslateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"locale": _("Choose one of the languages offered.")})
        translation = services.article_translation_create(tenant=request.tenant, author=request.user,
                                                          article=article, locale=form.cleaned_data["locale"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(tenant_reverse(request.tenant, "kb:article_edit", article.id))
    messages.success(request, _("Draft translation created: replace the text and publish it."))
    return redirect(tenant_reverse(request.tenant, "kb:article_edit", translation.id))


@require_POST
def preview(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    form = forms.PreviewForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    return JsonResponse({"html": render_markdown(form.cleaned_data["body"])})


@require_POST
def article_publish(request: TenantRequest, article_id: int) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    article = selectors.article_get(tenant=request.tenant, article_id=article_id)
    services.article_publish(tenant=request.tenant, article=article)
    messages.success(request, _("Published. It is searchable as soon as it is indexed (a few seconds)."))
    return redirect(tenant_reverse(request.tenant, "kb:article_edit", article.id))


@require_POST
def article_unpublish(request: TenantRequest, article_id: int) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    article = selectors.article_get(tenant=request.tenant, article_id=article_id)
    services.article_unpublish(tenant=request.tenant, article=article)
    messages.success(request, _("Unpublished: the article is a draft and no longer in search."))
    return redirect(tenant_reverse(request.tenant, "kb:article_edit", article.id))


@require_POST
def article_delete(request: TenantRequest, article_id: int) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    article = selectors.article_get(tenant=request.tenant, article_id=article_id)
    services.article_delete(tenant=request.tenant, article=article)
    messages.success(request, _("Deleted “%(title)s”.") % {"title": article.title})
    return redirect(tenant_reverse(request.tenant, "kb:articles"))


def revisions(request: TenantRequest, article_id: int) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    article = selectors.article_get(tenant=request.tenant, article_id=article_id)
    return render(request, "kb/revisions.html", {
        "article": article, "revisions": selectors.revision_list(tenant=request.tenant, article=article)})


def revision(request: TenantRequest, article_id: int, number: int) -> HttpResponse:
    """One revision, diffed against the article as it is now."""
    require_role(request.membership, Role.ADMIN)
    article = selectors.article_get(tenant=request.tenant, article_id=article_id)
    old = selectors.revision_get(tenant=request.tenant, article=article, number=number)
    diff = list(difflib.unified_diff(
        [f"# {old.title}", *old.body.splitlines()], [f"# {article.title}", *article.body.splitlines()],
        fromfile=f"revision {old.number}", tofile="current", lineterm="", n=3,
    ))
    return render(request, "kb/revision.html", {"article": article, "revision": old, "diff": diff})


@require_POST
def revision_restore(request: TenantRequest, article_id: int, number: int) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    article = selectors.article_get(tenant=request.tenant, article_id=article_id)
    old = selectors.revision_get(tenant=request.tenant, article=article, number=number)
    try:
        services.article_restore(tenant=request.tenant, author=request.user, article=article, revision=old)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Restored revision %(number)s as a new revision.") % {"number": old.number})
    return redirect(tenant_reverse(request.tenant, "kb:article_edit", article.id))


def categories(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    form = forms.CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_save(tenant=request.tenant, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Category added."))
            return redirect(tenant_reverse(request.tenant, "kb:categories"))
    return render(request, "kb/categories.html", {
        "form": form, "categories": selectors.category_list(tenant=request.tenant)},
        status=400 if form.errors else 200)


def category_edit(request: TenantRequest, category_id: int) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    category = selectors.category_get(tenant=request.tenant, category_id=category_id)
    initial = {"title": category.title, "slug": category.slug, "description": category.description,
               "position": category.position}
    form = forms.CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_save(tenant=request.tenant, category=category, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Category saved."))
            return redirect(tenant_reverse(request.tenant, "kb:categories"))
    return render(request, "kb/category_edit.html", {"form": form, "category": category},
                  status=400 if form.errors else 200)


@require_POST
def category_delete(request: TenantRequest, category_id: int) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    category = selectors.category_get(tenant=request.tenant, category_id=category_id)
    services.category_delete(tenant=request.tenant, category=category)
    messages.success(request, _("Deleted category “%(title)s”; its articles are now uncategorized.")
                     % {"title": category.title})
    return redirect(tenant_reverse(request.tenant, "kb:categories"))


def import_page(request: TenantRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.import_job_create(tenant=request.tenant, author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return redirect(tenant_reverse(request.tenant, "kb:import_job", job.id))
    return render(request, "kb/import.html", {"form": form, "jobs": selectors.import_job_list(tenant=request.tenant)},
                  status=400 if form.errors else 200)


def import_job(request: TenantRequest, job_id: int) -> HttpResponse:
    """The job's progress (kb-import.js polls ``import_job_status`` until it finishes or stalls), then its report."""
    require_role(request.membership, Role.ADMIN)
    return render(request, "kb/import_job.html",
                  {"job": selectors.import_job_get(tenant=request.tenant, job_id=job_id)})


class ImportJobStatus(TypedDict):
    status: str
    status_label: str
    files_done: int
    files_total: int
    finished: bool
    stalled: bool


def import_job_status(request: TenantRequest, job_id: int) -> JsonResponse:
    require_role(request.membership, Role.ADMIN)
    job = selectors.import_job_get(tenant=request.tenant, job_id=job_id)
    status = ImportJobStatus(status=job.status, status_label=job.get_status_display(), files_done=job.files_done,
                             files_total=job.files_total, finished=job.is_finished, stalled=job.is_stalled)
    return JsonResponse(status)


@require_POST
def import_job_restart(request: TenantRequest, job_id: int) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)
    job = selectors.import_job_get(tenant=request.tenant, job_id=job_id)
    try:
        importing.import_job_restart(tenant=request.tenant, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Started again: the files imported before it stalled are left as they are."))
    return redirect(tenant_reverse(request.tenant, "kb:import_job", job.id))


def search(request: TenantRequest) -> HttpResponse:
    """Agents' KB search; ``?fragment=1`` returns just the result list, for the ticket page to embed."""
    form = forms.SearchForm(request.GET)
    hits = []
    if form.is_valid() and form.cleaned_data["q"]:
        hits = selectors.article_search(tenant=request.tenant, query=form.cleaned_data["q"],
                                        mode=form.cleaned_data["mode"] or "hybrid", limit=10)
    template = "kb/search_results.html" if request.GET.get("fragment") else "kb/search.html"
    return render(request, template, {"form": form, "hits": hits, "q": form.cleaned_data.get("q", "")
                                      if form.is_valid() else ""}, status=200 if form.is_valid() else 400)
