"""Writes of the knowledge base: categories, articles (every save is a revision), publishing, feedback."""

from __future__ import annotations

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kb import events, indexing
from kb.models import Article, ArticleFeedback, ArticleRevision, ArticleStatus, Category
from kb.rendering import render_markdown
from tenants.models import Tenant, User

MAX_BODY = 200_000


def _unique_slug(*, tenant: Tenant, model: type[Article] | type[Category], wanted: str, exclude_id: int | None,
                 field: str) -> str:
    slug = slugify(wanted)[:80].strip("-")
    if not slug:
        raise ValidationError({field: _("Use at least one letter or digit.")})
    taken = model.objects.for_tenant(tenant).filter(slug=slug)
    if exclude_id is not None:
        taken = taken.exclude(id=exclude_id)
    if taken.exists():
        raise ValidationError({"slug": _("Another item already uses this address.")})
    return slug


@transaction.atomic
def category_save(
    *, tenant: Tenant, category: Category | None = None, title: str, slug: str = "", description: str = "",
    position: int | None = None,
) -> Category:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("A category needs a title.")})
    if len(title) > 120:
        raise ValidationError({"title": _("Keep the title under 120 characters.")})
    slug = _unique_slug(tenant=tenant, model=Category, wanted=slug or title,
                        exclude_id=category.id if category else None, field="slug" if slug else "title")
    if category is None:
        if position is None:
            position = (Category.objects.for_tenant(tenant).aggregate(m=Max("position"))["m"] or 0) + 1
        return Category.objects.create(tenant=tenant, title=title, slug=slug, description=description.strip(),
                                       position=position)
    category.title, category.slug, category.description = title, slug, description.strip()
    if position is not None:
        category.position = position
    category.save()
    return category


@transaction.atomic
def category_delete(*, tenant: Tenant, category: Category) -> None:
    """Its articles stay, uncategorized."""
    Category.objects.for_tenant(tenant).filter(id=category.id).delete()


def _enqueue_index(tenant_id: int, article_id: int) -> None:
    from kb import tasks

    tasks.article_index.delay(tenant_id, article_id)


def _announce_published(tenant: Tenant, article: Article, *, enqueue_index: bool) -> None:
    if enqueue_index:
        transaction.on_commit(partial(_enqueue_index, tenant.id, article.id))
    transaction.on_commit(partial(events.article_published.send, Article, tenant_id=tenant.id, article_id=article.id))


@transaction.atomic
def article_save(
    *, tenant: Tenant, author: User | None, article: Article | None = None, title: str, body: str,
    slug: str = "", category: Category | None = None, tags: list[str] | None = None, locale: str = "en",
    note: str = "", enqueue_index: bool = True,
) -> Article:
    """Create or update an article and record the revision. Saving a published article re-indexes it.

    ``enqueue_index=False`` is for callers that index in-process themselves (the demo seed, imports).
    """
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("An article needs a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("Keep the title under 200 characters.")})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": _("Keep the article under %(limit)s characters.") % {"limit": f"{MAX_BODY:,}"}})
    if category is not None and category.tenant_id != tenant.id:
        raise ValidationError({"category": _("Choose one of your categories.")})
    slug = _unique_slug(tenant=tenant, model=Article, wanted=slug or title,
                        exclude_id=article.id if article else None, field="slug" if slug else "title")
    tags = [t.strip().lower()[:40] for t in (tags or []) if t.strip()]
    now = timezone.now()
    if article is None:
        article = Article(tenant=tenant, author=author, created_at=now)
    else:
        article = Article.objects.for_tenant(tenant).select_for_update().get(id=article.id)
    locale = locale_check(locale)
    if article.pk is not None and locale != article.locale:
        _group_locale_check(tenant=tenant, article=article, locale=locale)
    article.title, article.slug, article.body, article.category = title, slug, body, category
    article.tags, article.locale, article.updated_at = tags, locale, now
    article.body_html = render_markdown(body)
    article.save()
    number = (ArticleRevision.objects.for_tenant(tenant).filter(article=article).aggregate(m=Max("number"))["m"]
              or 0) + 1
    ArticleRevision.objects.create(tenant=tenant, article=article, number=number, title=title, body=body,
                                   tags=tags, author=author, note=note[:200], created_at=now)
    if article.is_published:
        _announce_published(tenant, article, enqueue_index=enqueue_index)
    return article


def locale_check(code: str) -> str:
    """``code`` as one of settings.LANGUAGES ("zh", "zh-CN" and "zh-hans" are all "zh-hans")."""
    from helpdesk.i18n import supported

    locale = supported(code or "en")
    if locale is None:
        raise ValidationError({"locale": _("Choose one of the languages offered.")})
    return locale


def _group_locale_check(*, tenant: Tenant, article: Article, locale: str) -> None:
    """At most one article per language in a group of translations."""
    siblings = Article.objects.for_tenant(tenant).filter(article.group_filter).exclude(id=article.id)
    if siblings.filter(locale=locale).exists():
        raise ValidationError({"locale": _("This article already has a version in that language.")})


@transaction.atomic
def article_translation_create(*, tenant: Tenant, author: User | None, article: Article, locale: str) -> Article:
    """A draft translation of ``article`` into ``locale``, starting from the original's text for the translator
    to replace. Translating a translation translates its original: a group has one original."""
    original = article.translation_of or article
    locale = locale_check(locale)
    if locale == original.locale or Article.objects.for_tenant(tenant).filter(
            translation_of=original, locale=locale).exists():
        raise ValidationError({"locale": _("This article already has a version in that language.")})
    translation = article_save(tenant=tenant, author=author, title=original.title, body=original.body,
                               slug=f"{original.slug}-{locale}", category=original.category,
                               tags=list(original.tags), locale=locale, note=f"Translation of “{original.title}”")
    translation.translation_of = original
    translation.save(update_fields=["translation_of"])
    return translation


@transaction.atomic
def article_translation_link(*, tenant: Tenant, article: Article, original: Article | None) -> Article:
    """Make ``article`` a translation of ``original`` (None: an original again)."""
    if original is not None:
        original = original.translation_of or original
        if original.id == article.id or original.tenant_id != tenant.id:
            raise ValidationError({"translation_of": _("Choose another article of this knowledge base.")})
        if original.locale == article.locale:
            raise ValidationError({"translation_of": _("A translation is in another language than its original.")})
        if Article.objects.for_tenant(tenant).filter(translation_of=article).exists():
            raise ValidationError({"translation_of": _("This article has translations of its own.")})
    article.translation_of = original
    if original is not None:
        _group_locale_check(tenant=tenant, article=article, locale=article.locale)
    article.save(update_fields=["translation_of"])
    return article


@transaction.atomic
def article_publish(*, tenant: Tenant, article: Article, enqueue_index: bool = True) -> Article:
    article = Article.objects.for_tenant(tenant).select_for_update().get(id=article.id)
    article.status = ArticleStatus.PUBLISHED
    article.published_at = article.published_at or timezone.now()
    article.save(update_fields=["status", "published_at"])
    _announce_published(tenant, article, enqueue_index=enqueue_index)
    return article


@transaction.atomic
def article_unpublish(*, tenant: Tenant, article: Article) -> Article:
    """Back to draft; its chunks go in the same transaction, so search stops finding it at once."""
    article = Article.objects.for_tenant(tenant).select_for_update().get(id=article.id)
    article.status = ArticleStatus.DRAFT
    article.save(update_fields=["status"])
    indexing.chunks_remove(tenant=tenant, article_id=article.id)
    transaction.on_commit(
        partial(events.article_unpublished.send, Article, tenant_id=tenant.id, article_id=article.id)
    )
    return article


@transaction.atomic
def article_delete(*, tenant: Tenant, article: Article) -> None:
    was_published = article.is_published
    Article.objects.for_tenant(tenant).filter(id=article.id).delete()
    if was_published:
        transaction.on_commit(
            partial(events.article_unpublished.send, Article, tenant_id=tenant.id, article_id=article.id)
        )


def article_restore(*, tenant: Tenant, author: User | None, article: Article, revision: ArticleRevision) -> Article:
    """Copy an old revision back in, as a new revision (history is never rewritten)."""
    if revision.article_id != article.id:
        raise ValidationError(_("That revision belongs to another article."))
    return article_save(
        tenant=tenant, author=author, article=article, title=revision.title, body=revision.body, slug=article.slug,
        category=article.category, tags=list(revision.tags), locale=article.locale,
        note=f"Restored revision {revision.number}",
    )


def feedback_record(*, tenant: Tenant, article: Article, helpful: bool, comment: str = "") -> ArticleFeedback:
    if not article.is_published:
        raise ValidationError(_("This article is not published."))
    comment = comment.strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": _("Keep the comment under 2,000 characters.")})
    return ArticleFeedback.objects.create(tenant=tenant, article=article, helpful=helpful, comment=comment)
