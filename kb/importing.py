"""Import a folder of Markdown files: a directory on disk (``kb_import``), or a zip uploaded in the browser and
imported by a worker as an ``ImportJob``.

Layout, as in kb/demo/articles: ``<category-slug>/_category.md`` (front matter title, description, position) and
``<category-slug>/<article-slug>.md`` (front matter title, tags; Markdown body). Files at the top level become
uncategorized articles. Importing again updates what changed and leaves the rest alone (no new revision).
"""

from __future__ import annotations

import io
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from helpdesk.text import without_nul
from kb import indexing, services
from kb.models import Article, Category, ImportJob, ImportStatus
from kb.rendering import parse_tags, split_front_matter
from kb.tasks import import_job_run_task
from tenants.models import Tenant, User
from tenants.rls import tenant_context

MAX_FILES = 2000
MAX_FILE_BYTES = 1_000_000
# A zip of zero-filled files expands a thousandfold: the import refuses an archive whose Markdown would expand past
# this in total, or any entry packed tighter than real text ever is (Markdown compresses about 3 to 10 times).
MAX_TOTAL_BYTES = 50_000_000
MAX_RATIO = 100
# The upload itself waits in the database until a worker imports it: Markdown within MAX_TOTAL_BYTES fits, even
# stored uncompressed; a docs folder zipped with its images may not.
MAX_ARCHIVE_BYTES = 50_000_000
# An import job writes its progress at most this often (each write is an UPDATE the page's poll reads).
PROGRESS_INTERVAL = 0.5
# What zipfile raises for an archive, or one entry of it, that is damaged, truncated, encrypted or packed by a
# method it does not know (fuzzed: UnicodeDecodeError and "negative seek value" are ValueErrors).
DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)

SourceFile = tuple[PurePosixPath, str]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    categories: int = 0
    chunks: int = 0
    errors: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)


def _text(data: bytes) -> str:
    """A file's text, whatever it holds: bad UTF-8 becomes U+FFFD and NUL (which PostgreSQL text cannot hold)
    is dropped, so one odd file neither stops the import nor fails at the database."""
    return without_nul(data.decode("utf-8", errors="replace"))


def folder_files(root: Path) -> Iterator[SourceFile]:
    for path in sorted(root.rglob("*.md")):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if relative.name.lower() == "readme.md" or len(relative.parts) > 2:
            continue
        yield relative, _text(path.read_bytes())


def zip_entries(upload: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """The .md entries of a zip to import, and their paths; a single top folder (zipping "docs/") is stripped.
    Paths never leave the zip. Reads only the zip's directory, so the web process checks the caps before queueing
    an upload; ``zip_files`` trusts nothing that was checked there and checks again."""
    names = [i for i in upload.infolist() if not i.is_dir() and i.filename.lower().endswith(".md")]
    if len(names) > MAX_FILES:
        raise ValidationError({"archive": _("At most %(limit)s Markdown files per import.") % {"limit": MAX_FILES}})
    # Declared sizes bound what is read: zipfile stops at an entry's declared size and checks its CRC there.
    if sum(i.file_size for i in names) > MAX_TOTAL_BYTES:
        raise ValidationError({"archive": _("The Markdown in this archive is larger than %(mb)s MB once unpacked; "
                                            "import it in parts.") % {"mb": MAX_TOTAL_BYTES // 10**6}})
    packed = [i for i in names if i.file_size > 10_000 and i.file_size > MAX_RATIO * max(1, i.compress_size)]
    if packed:
        raise ValidationError({"archive": _("%(filename)s unpacks to over %(ratio)s times its size; this does not "
                                            "look like an archive of articles.")
                                          % {"filename": packed[0].filename, "ratio": MAX_RATIO}})
    paths = [PurePosixPath(i.filename.replace("\\", "/")) for i in names]
    tops = {p.parts[0] for p in paths if len(p.parts) > 1}
    strip = len(tops) == 1 and all(len(p.parts) > 1 for p in paths)
    entries = []
    for info, path in sorted(zip(names, paths, strict=True), key=lambda pair: str(pair[1])):
        parts = path.parts[1:] if strip else path.parts
        if not parts or any(part in ("..", "") or part.startswith("/") for part in parts) or len(parts) > 2:
            continue
        if parts[-1].lower() == "readme.md" or parts[0].startswith(("__MACOSX", ".")):
            continue
        if info.file_size > MAX_FILE_BYTES:
            raise ValidationError({"archive": _("%(path)s is larger than 1 MB.") % {"path": "/".join(parts)}})
        entries.append((info, PurePosixPath(*parts)))
    return entries


def zip_files(upload: zipfile.ZipFile, *, errors: list[str]) -> Iterator[SourceFile]:
    """The files of ``zip_entries``. An entry that cannot be unpacked (damaged, encrypted) is skipped and described
    in ``errors``, so one bad entry does not stop the import of the others."""
    for info, path in zip_entries(upload):
        try:
            data = upload.read(info)
        except DAMAGED_ZIP as exc:
            errors.append(f"{path}: this entry of the zip cannot be unpacked ({str(exc) or type(exc).__name__}).")
            continue
        yield path, _text(data)


def _import_category(tenant: Tenant, slug: str, text: str | None) -> Category:
    meta = split_front_matter(text)[0] if text else {}
    title = meta.get("title") or slug.replace("-", " ").capitalize()[:120]
    description = meta.get("description", "")
    raw_position = meta.get("position", "").strip()
    # isdecimal and isascii: "²" passes isdigit but not int(); six digits keep it inside the column.
    position = int(raw_position) if raw_position.isascii() and raw_position.isdecimal() and len(raw_position) <= 6 \
        else None
    category = Category.objects.for_tenant(tenant).filter(slug=slugify(slug)).first()
    if category and (category.title, category.description) == (title, description) and (
        position is None or position == category.position
    ):
        return category
    return services.category_save(tenant=tenant, category=category, title=title, slug=slug, description=description,
                                  position=position)


def import_files(
    *, tenant: Tenant, author: User | None, files: Iterable[SourceFile], publish: bool = False,
    index: str = "async", progress: Callable[[int], None] | None = None,
    unit: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> ImportReport:
    """``index``: "async" enqueues the indexing task on commit, "sync" indexes here, "none" leaves it to a later
    run (seed and tests that do not need search). ``progress(n)`` is told of each file done, inside its unit.

    ``unit`` opens each unit of work (the categories, then each article, then the indexing): by default they all
    run in the caller's transaction; a worker passes the tenant's context, so that a long import commits file by
    file, its progress can be read meanwhile, and a crash halfway keeps what was done for a rerun to finish.
    """
    report = ImportReport()
    files = list(files)
    category_files = [(p, text) for p, text in files if p.name == "_category.md"]
    category_texts = {p.parts[0]: text for p, text in category_files if len(p.parts) == 2}
    # A folder's language (front matter "language" in its _category.md) is its articles' unless they say otherwise.
    languages = {slug: split_front_matter(text)[0].get("language", "") for slug, text in category_texts.items()}
    categories: dict[str, Category] = {}
    with unit():
        for slug, text in category_texts.items():
            try:
                categories[slug] = _import_category(tenant, slug, text)
            except ValidationError as exc:  # its front matter is unusable: say so, and name it after its folder
                report.errors.append(f"{slug}/_category.md: {' '.join(exc.messages)}")
                categories[slug] = _import_category(tenant, slug, None)
            report.categories += 1
        if progress is not None and category_files:
            progress(len(category_files))
    for path, text in files:
        if path.name == "_category.md":
            continue
        with unit():
            _import_article(tenant=tenant, author=author, path=path, text=text, publish=publish, index=index,
                            categories=categories, report=report,
                            folder_language=languages.get(path.parts[0], "") if len(path.parts) == 2 else "")
            if progress is not None:
                progress(1)
    if index == "sync" and report.article_ids:
        with unit():
            report.chunks = indexing.articles_index(tenant=tenant, article_ids=report.article_ids, only_stale=True)
    return report


def _import_article(*, tenant: Tenant, author: User | None, path: PurePosixPath, text: str, publish: bool,
                    index: str, categories: dict[str, Category], report: ImportReport,
                    folder_language: str = "") -> None:
    category = None
    if len(path.parts) == 2:
        folder = path.parts[0]
        if folder not in categories:
            categories[folder] = _import_category(tenant, folder, None)
            report.categories += 1
        category = categories[folder]
    meta, body = split_front_matter(text)
    slug = slugify(path.stem)
    title = meta.get("title") or path.stem.replace("-", " ").capitalize()
    tags = parse_tags(meta.get("tags", ""))
    article = Article.objects.for_tenant(tenant).filter(slug=slug).first()
    try:
        locale = services.locale_check(meta.get("language") or folder_language or _written_in(f"{title}\n{body}"))
        original = _original(tenant, meta.get("translation_of", ""), path)
        if article and (article.title, article.body.strip(), article.tags, article.category_id, article.locale,
                        article.translation_of_id) == (
            title, body.strip(), tags, category.id if category else None, locale, original.id if original else None
        ):
            report.unchanged += 1
        else:
            created = article is None
            article = services.article_save(
                tenant=tenant, author=author, article=article, title=title, body=body.strip() + "\n", slug=slug,
                category=category, tags=tags, locale=locale, note="Imported", enqueue_index=index == "async",
            )
            if original is not None or article.translation_of_id is not None:
                services.article_translation_link(tenant=tenant, article=article, original=original)
            report.created += created
            report.updated += not created
        if publish and not article.is_published:
            article = services.article_publish(tenant=tenant, article=article, enqueue_index=index == "async")
        report.article_ids.append(article.id)
    except ValidationError as exc:
        report.errors.append(f"{path}: {' '.join(exc.messages)}")


def _written_in(text: str) -> str:
    """The language an article without one is written in: the UI language closest to what it detects."""
    from ai.backends.language import detect
    from helpdesk.i18n import supported

    return supported(detect(text).code) or "en"


def _original(tenant: Tenant, slug: str, path: PurePosixPath) -> Article | None:
    """The article a file's front matter "translation_of" names (by slug), imported before it or already there."""
    if not slug.strip():
        return None
    original = Article.objects.for_tenant(tenant).filter(slug=slugify(slug.strip())).first()
    if original is None:
        raise ValidationError(_("translation_of names “%(slug)s”, which is not an article (yet): import the original "
                                "first, or in the same archive under a name that sorts before.")
                              % {"slug": slug.strip()})
    return original


def import_folder(*, tenant: Tenant, author: User | None, root: Path, **options: object) -> ImportReport:
    return import_files(tenant=tenant, author=author, files=folder_files(root), **options)  # type: ignore[arg-type]


# Import jobs: a zip uploaded in the browser is checked and kept by the web process, and imported by a worker.

@transaction.atomic
def import_job_create(*, tenant: Tenant, author: User | None, archive: File[bytes], publish: bool) -> ImportJob:
    """Check the upload as far as the zip's directory goes, keep it, and queue its import on commit.

    Nothing is unpacked here, so a zip bomb costs the web process nothing, yet the caps and "not a zip" are field
    errors the admin sees at once rather than a failed job later.
    """
    if archive.size > MAX_ARCHIVE_BYTES:
        raise ValidationError({"archive": _("This file is larger than %(mb)s MB: zip only the Markdown files, or "
                                            "import them in parts.") % {"mb": MAX_ARCHIVE_BYTES // 10**6}})
    archive.seek(0)
    data = archive.read()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as upload:
            entries = zip_entries(upload)
    except DAMAGED_ZIP:
        raise ValidationError({"archive": _("This is not a zip file.")}) from None
    if not entries:
        raise ValidationError({"archive": _("This zip holds no Markdown (.md) files to import.")})
    job = ImportJob.objects.create(tenant=tenant, author=author, archive=data, publish=publish,
                                   archive_name=without_nul(archive.name or "")[:200])
    transaction.on_commit(partial(import_job_run_task.delay, tenant.id, job.id))
    return job


def import_job_run(*, tenant: Tenant, job_id: int) -> None:
    """Import a queued job's archive, in the worker.

    Runs outside any transaction: each file commits in a unit of work of its own, so the job's page sees the
    progress, and the articles already imported stay if the import stops. A task run again for a finished job does
    nothing; one retried after a passing error (or restarted after a stall) starts over, which importing's
    idempotence makes safe. An error that is not the archive's fails the task, and the task its job (kb.tasks).
    """
    with tenant_context(tenant.id):
        job = ImportJob.objects.for_tenant(tenant).select_for_update(of=("self",)).select_related("author").filter(
            id=job_id).first()
        if job is None or job.is_finished:
            return
        job.status, job.heartbeat_at = ImportStatus.RUNNING, timezone.now()
        job.save(update_fields=["status", "heartbeat_at"])
    # The job's report is stored as written: in the language of the admin who uploaded it (else the tenant's).
    with translation.override(getattr(job.author, "language", "") or tenant.language):
        _job_import(tenant=tenant, job=job)


def _job_import(*, tenant: Tenant, job: ImportJob) -> None:
    unit = partial(tenant_context, tenant.id)
    try:
        files, unreadable = _archive_files(bytes(job.archive))
    except ValidationError as exc:  # the caps, checked again: the worker trusts no other process's check
        _job_finish(tenant=tenant, job_id=job.id, failure=" ".join(exc.messages))
        return
    with unit():
        ImportJob.objects.for_tenant(tenant).filter(id=job.id).update(files_total=len(files), files_done=0,
                                                                       heartbeat_at=timezone.now())
    report = import_files(tenant=tenant, author=job.author, files=files, publish=job.publish,
                          progress=_progress_writer(tenant=tenant, job_id=job.id), unit=unit)
    report.errors[:0] = unreadable
    _job_finish(tenant=tenant, job_id=job.id, report=report)


def import_job_fail(*, tenant: Tenant, job_id: int) -> None:
    """The job's task failed for good (its retries spent, or an error no retry cures): say so on the job's page."""
    with translation.override(tenant.language):
        failure = _("The import stopped on an unexpected error. The articles imported before it are kept; upload "
                    "the zip again to finish, or ask your operator to look at the failed tasks.")
    _job_finish(tenant=tenant, job_id=job_id, failure=failure)


@transaction.atomic
def import_job_restart(*, tenant: Tenant, job: ImportJob) -> ImportJob:
    """Queue a stalled job again (its archive is kept until the job finishes)."""
    job = ImportJob.objects.for_tenant(tenant).select_for_update().defer("archive").get(id=job.id)
    if not job.is_stalled:
        raise ValidationError(_("Only an import that stalled can be started again; this one is %(status)s.")
                              % {"status": job.get_status_display().lower()})
    job.status, job.heartbeat_at = ImportStatus.QUEUED, None
    job.save(update_fields=["status", "heartbeat_at"])
    transaction.on_commit(partial(import_job_run_task.delay, tenant.id, job.id))
    return job


def _archive_files(archive: bytes) -> tuple[list[SourceFile], list[str]]:
    """The archive's files and the entries that could not be unpacked."""
    unreadable: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as upload:
            return list(zip_files(upload, errors=unreadable)), unreadable
    except DAMAGED_ZIP:
        raise ValidationError({"archive": _("The archive cannot be read as a zip file.")}) from None


def _progress_writer(*, tenant: Tenant, job_id: int) -> Callable[[int], None]:
    """Count the files done; write the count at most every PROGRESS_INTERVAL, inside the unit of work of the file
    that was just imported, so that it commits with it (an UPDATE per file would double a small import's writes)."""
    done, written_at = 0, time.monotonic()

    def progress(files: int) -> None:
        nonlocal done, written_at
        done += files
        if time.monotonic() - written_at >= PROGRESS_INTERVAL:
            ImportJob.objects.for_tenant(tenant).filter(id=job_id).update(files_done=done, heartbeat_at=timezone.now())
            written_at = time.monotonic()

    return progress


def _job_finish(*, tenant: Tenant, job_id: int, report: ImportReport | None = None, failure: str = "") -> None:
    """Record the outcome and drop the archive (up to MAX_ARCHIVE_BYTES that nobody needs any more)."""
    finished = {"archive": b"", "finished_at": timezone.now()}
    with tenant_context(tenant.id):
        jobs = ImportJob.objects.for_tenant(tenant).filter(id=job_id).exclude(
            status__in=[ImportStatus.DONE, ImportStatus.FAILED])
        if report is None:
            jobs.update(status=ImportStatus.FAILED, failure=failure, **finished)
        else:
            jobs.update(status=ImportStatus.DONE, files_done=F("files_total"), created=report.created,
                        updated=report.updated, unchanged=report.unchanged, categories=report.categories,
                        errors=report.errors, **finished)
