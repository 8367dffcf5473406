"""Import a folder of Markdown files (a directory on disk or a zip uploaded in the browser).

Layout, as in kb/demo/articles: ``<category-slug>/_category.md`` (front matter title, description, position) and
``<category-slug>/<article-slug>.md`` (front matter title, tags; Markdown body). Files at the top level become
uncategorized articles. Importing again updates what changed and leaves the rest alone (no new revision).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from helpdesk.text import without_nul
from kb import indexing, services
from kb.models import Article, Category
from kb.rendering import parse_tags, split_front_matter
from tenants.models import Tenant, User

MAX_FILES = 2000
MAX_FILE_BYTES = 1_000_000
# A zip of zero-filled files expands a thousandfold: the import refuses an archive whose Markdown would expand past
# this in total, or any entry packed tighter than real text ever is (Markdown compresses about 3 to 10 times).
MAX_TOTAL_BYTES = 50_000_000
MAX_RATIO = 100

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


def zip_files(upload: zipfile.ZipFile) -> Iterator[SourceFile]:
    """The .md entries of a zip; a single top folder (zipping "docs/") is stripped. Paths never leave the zip."""
    names = [i for i in upload.infolist() if not i.is_dir() and i.filename.lower().endswith(".md")]
    if len(names) > MAX_FILES:
        raise ValidationError({"archive": f"At most {MAX_FILES} Markdown files per import."})
    # Declared sizes bound what is read: zipfile stops at an entry's declared size and checks its CRC there.
    if sum(i.file_size for i in names) > MAX_TOTAL_BYTES:
        raise ValidationError({"archive": f"The Markdown in this archive is larger than {MAX_TOTAL_BYTES // 10**6} MB "
                                          "once unpacked; import it in parts."})
    packed = [i for i in names if i.file_size > 10_000 and i.file_size > MAX_RATIO * max(1, i.compress_size)]
    if packed:
        raise ValidationError({"archive": f"{packed[0].filename} unpacks to over {MAX_RATIO} times its size; "
                                          "this does not look like an archive of articles."})
    paths = [PurePosixPath(i.filename.replace("\\", "/")) for i in names]
    tops = {p.parts[0] for p in paths if len(p.parts) > 1}
    strip = len(tops) == 1 and all(len(p.parts) > 1 for p in paths)
    for info, path in sorted(zip(names, paths, strict=True), key=lambda pair: str(pair[1])):
        parts = path.parts[1:] if strip else path.parts
        if not parts or any(part in ("..", "") or part.startswith("/") for part in parts) or len(parts) > 2:
            continue
        if parts[-1].lower() == "readme.md" or parts[0].startswith(("__MACOSX", ".")):
            continue
        if info.file_size > MAX_FILE_BYTES:
            raise ValidationError({"archive": f"{'/'.join(parts)} is larger than 1 MB."})
        yield PurePosixPath(*parts), _text(upload.read(info))


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
) -> ImportReport:
    """``index``: "async" enqueues the indexing task on commit, "sync" indexes here, "none" leaves it to a later
    run (seed and tests that do not need search)."""
    report = ImportReport()
    files = list(files)
    category_texts = {p.parts[0]: text for p, text in files if len(p.parts) == 2 and p.name == "_category.md"}
    categories: dict[str, Category] = {}
    for slug, text in category_texts.items():
        try:
            categories[slug] = _import_category(tenant, slug, text)
        except ValidationError as exc:  # its front matter is unusable: say so, and name it after its folder
            report.errors.append(f"{slug}/_category.md: {' '.join(exc.messages)}")
            categories[slug] = _import_category(tenant, slug, None)
        report.categories += 1
    for path, text in files:
        if path.name == "_category.md":
            continue
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
            if article and (article.title, article.body.strip(), article.tags, article.category_id) == (
                title, body.strip(), tags, category.id if category else None
            ):
                report.unchanged += 1
            else:
                created = article is None
                article = services.article_save(
                    tenant=tenant, author=author, article=article, title=title, body=body.strip() + "\n", slug=slug,
                    category=category, tags=tags, note="Imported", enqueue_index=index == "async",
                )
                report.created += created
                report.updated += not created
            if publish and not article.is_published:
                article = services.article_publish(tenant=tenant, article=article, enqueue_index=index == "async")
            report.article_ids.append(article.id)
        except ValidationError as exc:
            report.errors.append(f"{path}: {' '.join(exc.messages)}")
        if progress is not None:
            progress(1)
    if index == "sync" and report.article_ids:
        report.chunks = indexing.articles_index(tenant=tenant, article_ids=report.article_ids, only_stale=True)
    return report


def import_folder(*, tenant: Tenant, author: User | None, root: Path, **options: object) -> ImportReport:
    return import_files(tenant=tenant, author=author, files=folder_files(root), **options)  # type: ignore[arg-type]
