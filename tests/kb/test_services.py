from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from kb import events, importing, indexing, selectors, services
from kb.models import Article, ArticleFeedback, ArticleRevision, Chunk
from tenants.rls import tenant_context
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

XSS_BODIES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.test></iframe>",
    "<svg onload=alert(1)>",
    '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))


def _dangerous(html: str) -> list[str]:
    """Elements and attributes a browser would act on: scripts, frames, handlers, script-bearing URLs, styles."""
    parser = _Elements()
    parser.feed(html)
    found = []
    for tag, attrs in parser.elements:
        if tag in {"script", "iframe", "svg", "object", "embed", "style", "form", "input"}:
            found.append(tag)
        for name, value in attrs:
            url = (value or "").strip().lower()
            if name.startswith("on") or name == "style" or url.startswith(("javascript:", "data:", "vbscript:")):
                found.append(f"{tag}[{name}={value}]")
    return found


@pytest.mark.parametrize("body", XSS_BODIES)
def test_markdown_cannot_inject_script(in_acme, body):
    article = services.article_save(tenant=in_acme, author=None, title="T", body=body)
    assert _dangerous(article.body_html) == [], article.body_html


def test_the_dangerous_element_check_itself_works():
    assert _dangerous('<a href="javascript:x">a</a><img src=x onerror=y><script></script>')


def test_markdown_keeps_normal_formatting_and_safe_links(in_acme):
    body = "## Heading\n\n**bold** and [a link](https://example.test) and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    html = services.article_save(tenant=in_acme, author=None, title="T", body=body).body_html
    assert "<h2>Heading</h2>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.test"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html


def test_titles_are_escaped_on_every_page(client, acme, alice):
    with tenant_context(acme.id):
        article = services.article_save(tenant=acme, author=None, title='<script>alert("t")</script>', body="x")
        services.article_publish(tenant=acme, article=article, enqueue_index=False)
        indexing.article_index(tenant=acme, article_id=article.id)
    pages = [f"/h/acme/articles/{article.slug}/", "/h/acme/search/?q=alert", "/h/acme/"]
    client.force_login(alice)
    pages += ["/t/acme/kb/", f"/t/acme/kb/{article.id}/", f"/t/acme/kb/{article.id}/revisions/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'<script>alert("t")' not in response.content, url


def test_every_save_records_a_revision_and_restore_adds_one(in_acme, alice):
    article = services.article_save(tenant=in_acme, author=alice, title="One", body="first")
    article = services.article_save(tenant=in_acme, author=alice, article=article, title="Two", body="second")
    first = selectors.revision_get(tenant=in_acme, article=article, number=1)
    restored = services.article_restore(tenant=in_acme, author=alice, article=article, revision=first)
    assert (restored.title, restored.body) == ("One", "first")
    numbers = list(ArticleRevision.objects.filter(article=article).values_list("number", "title", "note"))
    assert numbers == [(3, "One", "Restored revision 1"), (2, "Two", ""), (1, "One", "")]


def test_a_revision_of_another_article_cannot_be_restored(in_acme):
    one = services.article_save(tenant=in_acme, author=None, title="One", body="a")
    two = services.article_save(tenant=in_acme, author=None, title="Two", body="b")
    with pytest.raises(ValidationError):
        services.article_restore(tenant=in_acme, author=None, article=one,
                                 revision=ArticleRevision.objects.get(article=two))


def test_slugs_are_unique_per_tenant_and_titles_required(in_acme, globex):
    services.article_save(tenant=in_acme, author=None, title="Same title", body="")
    with pytest.raises(ValidationError) as exc:
        services.article_save(tenant=in_acme, author=None, title="Same title", body="")
    assert "slug" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.article_save(tenant=in_acme, author=None, title="  ", body="")
    assert "title" in exc.value.message_dict
    with tenant_context(globex.id):  # another tenant may use the same address
        assert services.article_save(tenant=globex, author=None, title="Same title", body="").slug == "same-title"


def test_a_category_of_another_tenant_is_refused(in_acme, globex):
    theirs = CategoryFactory(tenant=globex)
    with pytest.raises(ValidationError) as exc:
        services.article_save(tenant=in_acme, author=None, title="T", body="", category=theirs)
    assert "category" in exc.value.message_dict


def test_publish_sends_the_event_and_enqueues_indexing_on_commit(in_acme, django_capture_on_commit_callbacks,
                                                                  monkeypatch):
    enqueued, received = [], []
    monkeypatch.setattr("kb.services._enqueue_index", lambda tenant_id, article_id: enqueued.append(article_id))

    def receiver(sender, tenant_id, article_id, **kwargs):
        received.append((tenant_id, article_id))

    events.article_published.connect(receiver)
    try:
        article = services.article_save(tenant=in_acme, author=None, title="T", body="b")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.article_publish(tenant=in_acme, article=article)
        assert enqueued == [] and received == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        events.article_published.disconnect(receiver)
    assert enqueued == [article.id]
    assert received == [(in_acme.id, article.id)]


def test_unpublish_sends_its_event_and_drops_chunks(publish, acme, django_capture_on_commit_callbacks):
    article = publish(acme, title="T", body="Some words about cards.")
    received = []

    def receiver(sender, tenant_id, article_id, **kwargs):
        received.append((tenant_id, article_id))

    events.article_unpublished.connect(receiver)
    try:
        with tenant_context(acme.id), django_capture_on_commit_callbacks(execute=True):
            services.article_unpublish(tenant=acme, article=article)
    finally:
        events.article_unpublished.disconnect(receiver)
    assert received == [(acme.id, article.id)]
    with tenant_context(acme.id):
        assert not Chunk.objects.filter(article_id=article.id).exists()


def test_indexing_a_stale_revision_stores_nothing(publish, acme):
    article = publish(acme, title="T", body="Old words.")
    with tenant_context(acme.id):
        old_revision = ArticleRevision.objects.filter(article=article).latest("number")
        services.article_save(tenant=acme, author=None, article=article, title="T", body="New words.",
                              enqueue_index=False)
        drafts = indexing.chunk_article(title="T", body="Old words.")
        import numpy as np

        stored = indexing.chunks_swap(tenant=acme, article_id=article.id, revision_id=old_revision.id,
                                      model=indexing.current_model(), drafts=drafts,
                                      vectors=np.zeros((len(drafts), 384), dtype=np.float32))
        assert stored == 0
        assert set(Chunk.objects.filter(article=article).values_list("revision_id", flat=True)) == {old_revision.id}


def test_indexing_twice_replaces_rather_than_adds(publish, acme):
    article = publish(acme, title="T", body="## A\n\nalpha\n\n## B\n\nbeta")
    with tenant_context(acme.id):
        before = Chunk.objects.filter(article=article).count()
        indexing.article_index(tenant=acme, article_id=article.id)
        assert Chunk.objects.filter(article=article).count() == before == 2
        assert Chunk.objects.filter(article=article, search_vector__isnull=True).count() == 0


def test_another_models_chunks_stay_until_pruned(publish, acme):
    article = publish(acme, title="T", body="Words about cards.")
    fake = lambda texts: __import__("numpy").ones((len(texts), 384), dtype="float32") / 384 ** 0.5  # noqa: E731
    with tenant_context(acme.id):
        indexing.article_index(tenant=acme, article_id=article.id, model="other-model", embedder=fake)
        models = set(Chunk.objects.filter(article=article).values_list("embedding_model", flat=True))
        assert models == {indexing.current_model(), "other-model"}
        # Search reads only the configured model's chunks: no duplicates while both exist.
        assert len(selectors.article_search(tenant=acme, query="cards", mode="fts")) == 1
        assert indexing.tenant_prune_models(tenant=acme, keep=indexing.current_model()) == 1


def test_feedback_is_recorded_only_for_published_articles(publish, in_acme):
    draft = services.article_save(tenant=in_acme, author=None, title="Draft", body="")
    with pytest.raises(ValidationError):
        services.feedback_record(tenant=in_acme, article=draft, helpful=True)
    article = publish(in_acme, title="T", body="x")
    services.feedback_record(tenant=in_acme, article=article, helpful=False, comment=" needs more ")
    assert ArticleFeedback.objects.get(article=article).comment == "needs more"
    assert selectors.feedback_summary(tenant=in_acme, article=article).not_helpful == 1


def _zip(entries: dict[str, str]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    buffer.seek(0)
    return zipfile.ZipFile(buffer)


def test_import_a_zip_creates_categories_and_articles_and_is_idempotent(in_acme):
    entries = {
        "docs/cards/_category.md": "---\ntitle: Cards\ndescription: All about cards\nposition: 3\n---\n",
        "docs/cards/lost-card.md": "---\ntitle: Lost card\ntags: cards, lost\n---\n\nFreeze it.\n",
        "docs/welcome.md": "Hello there.",
        "docs/../../etc/passwd.md": "nope",
        "docs/cards/deep/nested.md": "too deep",
    }
    errors: list[str] = []
    report = importing.import_files(tenant=in_acme, author=None,
                                    files=importing.zip_files(_zip(entries), errors=errors), publish=True,
                                    index="none")
    assert errors == []
    assert (report.created, report.categories) == (2, 1)
    lost = Article.objects.get(slug="lost-card")
    assert (lost.title, lost.tags, lost.category.title, lost.category.position) == (
        "Lost card", ["cards", "lost"], "Cards", 3)
    assert lost.is_published
    assert set(Article.objects.values_list("slug", flat=True)) == {"lost-card", "welcome"}
    again = importing.import_files(tenant=in_acme, author=None,
                                   files=importing.zip_files(_zip(entries), errors=errors), index="none")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert ArticleRevision.objects.filter(article=lost).count() == 1


def test_the_demo_seed_is_idempotent_and_searchable(acme):
    from kb.seed import DEMO_ROOT, seed

    out = io.StringIO()
    with tenant_context(acme.id):
        seed(tenant=acme, stdout=out)
        articles, chunks = Article.objects.count(), Chunk.objects.count()
        seed(tenant=acme, stdout=out)
        assert (Article.objects.count(), Chunk.objects.count()) == (articles, chunks)
        assert articles == len(list(Path(DEMO_ROOT).glob("*/[!_]*.md")))
        assert Article.objects.filter(status="published").count() == articles
        hits = selectors.article_search(tenant=acme, query="my card still hasn't arrived in the post")
    assert "card-delivery-time" in [h.article_slug for h in hits[:3]]
    assert "unchanged" in out.getvalue()


def test_indexing_embeds_the_readers_units_so_answering_does_not(publish, acme):
    from ai.backends import embeddings
    from ai.backends.text import units

    body = "You can pay in two ways:\n\n- Direct Debit\n- card in the app\n\nA failed payment is retried after 5 days."
    article = publish(acme, title="Paying", body=body)
    with tenant_context(acme.id):
        passage = selectors.article_passages(tenant=acme, article_ids=[article.id])[article.id]
    # Every unit the reader will cut from the whole article was embedded at indexing, by the configured model.
    assert {u.text for u in units(passage.text)} <= set(passage.unit_texts)
    assert passage.unit_vectors is not None and passage.unit_vectors.shape == (len(passage.unit_texts), 384)
    fresh = embeddings.embed(passage.unit_texts, role="passage")
    assert float((fresh * passage.unit_vectors).sum(axis=1).min()) > 0.999


def test_chunks_indexed_without_unit_vectors_still_give_their_text(publish, acme):
    article = publish(acme, title="T", body="Old words.")
    with tenant_context(acme.id):
        Chunk.objects.filter(article=article).update(unit_texts=[], unit_vectors=b"")
        passage = selectors.article_passages(tenant=acme, article_ids=[article.id])[article.id]
    assert passage.text == "Old words." and passage.unit_vectors is None
