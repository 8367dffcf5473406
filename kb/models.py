"""Knowledge base: categories, articles with revisions, feedback, and the search chunks of published articles."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pgvector.django import HnswIndex, VectorField

from tenants.models import TenantForeignKey, TenantOwned, User

EMBEDDING_DIMENSIONS = 384  # ai.backends.embeddings.DIMENSIONS; a model with other dimensions needs a migration
# A running import's heartbeat is written with its progress (each half second, or after each slower file): silent
# this long, its worker is gone.
IMPORT_STALLED_AFTER = timedelta(minutes=5)


class Category(TenantOwned):
    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "title"]
        constraints = [models.UniqueConstraint(fields=["tenant", "slug"], name="kb_category_unique_slug")]

    def __str__(self) -> str:
        return self.title


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Article(TenantOwned):
    category = TenantForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120)
    body = models.TextField(blank=True, help_text="Markdown")
    # Rendered and sanitized once per save: pages never render Markdown on the read path.
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    locale = models.CharField(max_length=10, default="en", choices=settings.LANGUAGES)
    # One article, several languages: an original (None here) and its translations form a group, at most one
    # article per language. Customers get the group's article in their language, else the original.
    translation_of = TenantForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="translations")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="kb_article_unique_slug"),
            models.UniqueConstraint(fields=["tenant", "translation_of", "locale"], name="kb_article_one_per_language",
                                    condition=models.Q(translation_of__isnull=False)),
        ]
        indexes = [models.Index(fields=["tenant", "status", "category"])]

    def __str__(self) -> str:
        return self.title

    @property
    def group_id(self) -> int:
        """The original's id: the same for an article and all its translations."""
        return self.translation_of_id or self.id

    @property
    def group_filter(self) -> models.Q:
        """Selects the article's group of translations: its original and the original's translations."""
        return models.Q(id=self.group_id) | models.Q(translation_of_id=self.group_id)

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleRevision(TenantOwned):
    """A snapshot taken on every save; restoring copies one back into the article (as a new revision)."""

    article = TenantForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "article", "number"], name="kb_revision_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}#{self.number}"


class ArticleFeedback(TenantOwned):
    article = TenantForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "article"])]


class Chunk(TenantOwned):
    """A searchable passage of a published article's revision, embedded by one model.

    Chunks of one (article, embedding model) are replaced together in one transaction, so a search sees the
    old set or the new one, never a mix. Several models may coexist while re-embedding; search reads only the
    configured model's rows.
    """

    article = TenantForeignKey(Article, on_delete=models.CASCADE, related_name="chunks")
    revision = TenantForeignKey(ArticleRevision, on_delete=models.CASCADE, related_name="+")
    ordinal = models.PositiveIntegerField()
    heading = models.CharField(max_length=500, blank=True)  # "Article title > Section > Subsection"
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    embedding_model = models.CharField(max_length=200)
    # Filled by the indexing service in the same transaction (weights: heading A, text B).
    search_vector = SearchVectorField(null=True)
    # The reader's quotable units of ``text`` (ai.backends.text.units) and their embeddings by the same model
    # (float32, one row per unit), computed with the chunk's: answering then embeds only the customer's message,
    # even the first time a worker reads the article. Empty for chunks indexed before they existed.
    unit_texts = ArrayField(models.TextField(), default=list, blank=True)
    unit_vectors = models.BinaryField(default=bytes, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The operator class must match the query's operator: CosineDistance is `<=>`, i.e. vector_cosine_ops.
            HnswIndex(name="kb_chunk_embedding_hnsw", fields=["embedding"], m=16, ef_construction=64,
                      opclasses=["vector_cosine_ops"]),
            GinIndex(name="kb_chunk_search_gin", fields=["search_vector"]),
            models.Index(name="kb_chunk_article_model", fields=["tenant", "article", "embedding_model"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "article", "embedding_model", "ordinal"],
                                    name="kb_chunk_unique_ordinal")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.ordinal}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(TenantOwned):
    """A zip of Markdown uploaded in the browser, imported by a worker (kb.importing.import_job_run).

    The archive is kept only until the job finishes; the counts and errors are the report shown afterwards.
    """

    archive = models.BinaryField(default=bytes, blank=True)
    archive_name = models.CharField(max_length=200, blank=True)
    publish = models.BooleanField(default=False)
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    files_done = models.PositiveIntegerField(default=0)
    files_total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    categories = models.PositiveIntegerField(default=0)
    errors = ArrayField(models.TextField(), default=list, blank=True)  # one line per file skipped or with a problem
    failure = models.TextField(blank=True)  # why the whole import stopped, when it did
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(name="kb_importjob_recent", fields=["tenant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.archive_name or 'import'} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def is_stalled(self) -> bool:
        """Running, but silent for longer than any one file takes: its worker was killed (the task is acknowledged
        when it starts, so nothing redelivers it), and an admin may start it again."""
        return (self.status == ImportStatus.RUNNING and self.heartbeat_at is not None
                and timezone.now() - self.heartbeat_at > IMPORT_STALLED_AFTER)

    @property
    def percent(self) -> int:
        return 100 * self.files_done // self.files_total if self.files_total else 0
