"""The hosted help center (under /h/<slug>/, or a tenant's own domain): server-rendered, works without JavaScript."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from helpdesk.ratelimit import Rule, client_ip, limit_requests, tenant_of
from kb import forms, selectors, services
from tenants.models import Tenant


def _tenant(request: HttpRequest) -> Tenant:
    return request.tenant  # type: ignore[attr-defined,no-any-return]


def _language(request: HttpRequest) -> str:
    """The customer's language (helpdesk.i18n.LanguageMiddleware chose it among the tenant's)."""
    return str(getattr(request, "LANGUAGE_CODE", "") or _tenant(request).language)


def home(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    return render(request, "helpcenter/home.html", {
        "categories": selectors.public_categories(tenant=tenant, language=_language(request)),
        "form": forms.SearchForm()})


def category(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant(request)
    found = selectors.public_category_get(tenant=tenant, slug=slug)
    return render(request, "helpcenter/category.html", {
        "category": found,
        "articles": selectors.public_category_articles(tenant=tenant, category=found, language=_language(request)),
        "form": forms.SearchForm()})


def article(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant(request)
    found = selectors.public_article_get(tenant=tenant, slug=slug)
    translations = selectors.public_translations(tenant=tenant, article=found)
    language = _language(request)
    own = next((t for t in translations if t.locale == language), None)
    if found.locale != language and own is not None and "lang" not in request.GET:
        # A link to another language's version (shared, or from search) opens the customer's own.
        return redirect(reverse("helpcenter:article", args=[tenant.slug, own.slug]))
    return render(request, "helpcenter/article.html", {
        "article": found, "related": selectors.public_related(tenant=tenant, article=found),
        "translations": translations,
        "feedback_form": forms.FeedbackForm(), "thanks": request.GET.get("thanks") == "1",
        "form": forms.SearchForm()})


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant(request)
    found = selectors.public_article_get(tenant=tenant, slug=slug)
    form = forms.FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_record(tenant=tenant, article=found, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(reverse("helpcenter:article", args=[tenant.slug, found.slug]) + "?thanks=1#feedback")
    return render(request, "helpcenter/article.html", {
        "article": found, "related": selectors.public_related(tenant=tenant, article=found),
        "feedback_form": form, "form": forms.SearchForm()}, status=400)


# Each search runs the embedding model in the web process: the cheapest way to load the server from outside.
@limit_requests(Rule("kb-search-ip", client_ip, 60), Rule("kb-search-tenant", tenant_of, 1200), methods=("GET",))
def search(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = forms.SearchForm(request.GET)
    hits = []
    if form.is_valid() and form.cleaned_data["q"]:
        hits = selectors.article_search(tenant=tenant, query=form.cleaned_data["q"], limit=10,
                                        language=_language(request))
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    return render(request, "helpcenter/search.html", {"form": form, "hits": hits, "q": query},
                  status=200 if form.is_valid() else 400)
