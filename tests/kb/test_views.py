from __future__ import annotations

import io
import zipfile

import pytest
from django.utils import timezone

from kb import services
from kb.models import IMPORT_STALLED_AFTER, Article, ArticleFeedback, ArticleRevision, Category, ImportJob
from tenants.rls import tenant_context
from tests.factories import ArticleFactory, CategoryFactory, ImportJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, alice):
    client.force_login(alice)
    return client


def test_the_article_list_shows_only_own_articles_in_constant_queries(admin_client, acme, globex,
                                                                      django_assert_num_queries):
    for _ in range(3):
        ArticleFactory(tenant=acme)
    theirs = ArticleFactory(tenant=globex, title="Globex secret")
    admin_client.get("/t/acme/kb/")  # warm the session and content type caches
    with django_assert_num_queries(12):
        response = admin_client.get("/t/acme/kb/")
    assert response.status_code == 200
    assert response.content.count(b"<tr>") == 4
    assert theirs.title.encode() not in response.content
    ArticleFactory(tenant=acme)
    with django_assert_num_queries(12):
        admin_client.get("/t/acme/kb/")


@pytest.mark.parametrize("query", ["category=%C2%B2", "q=a%00b", "category=99999999999999999999999"])
def test_hostile_list_filters_are_ignored_not_a_500(admin_client, acme, query):
    # "²" passes str.isdigit() but int() refuses it; PostgreSQL text cannot hold NUL.
    ArticleFactory(tenant=acme, title="Still listed")
    response = admin_client.get(f"/t/acme/kb/?{query}")
    assert response.status_code == 200


def test_empty_list_explains_what_to_do(admin_client, acme):
    response = admin_client.get("/t/acme/kb/")
    assert b"Write the first one" in response.content


def test_an_admin_writes_a_draft_and_publishes_it(admin_client, acme, django_capture_on_commit_callbacks,
                                                  monkeypatch):
    enqueued = []
    monkeypatch.setattr("kb.services._enqueue_index", lambda tenant_id, article_id: enqueued.append(article_id))
    category = CategoryFactory(tenant=acme)
    response = admin_client.post("/t/acme/kb/new/", {
        "title": "Lost card", "body": "## Freeze\n\nFreeze it.", "category": category.id, "tags": "Cards, lost",
        "locale": "en", "action": "save"})
    assert response.status_code == 302
    with tenant_context(acme.id):
        article = Article.objects.get()
    assert (article.status, article.tags, article.category_id) == ("draft", ["cards", "lost"], category.id)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"/t/acme/kb/{article.id}/publish/").status_code == 302
    assert enqueued == [article.id]
    assert admin_client.get("/h/acme/articles/lost-card/").status_code == 200
    assert admin_client.post(f"/t/acme/kb/{article.id}/unpublish/").status_code == 302
    assert admin_client.get("/h/acme/articles/lost-card/").status_code == 404


def test_bad_editor_input_is_a_400_with_field_messages(admin_client, acme, globex):
    theirs = CategoryFactory(tenant=globex)
    response = admin_client.post("/t/acme/kb/new/", {"title": "", "body": "x", "locale": "en",
                                                     "category": theirs.id})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert b"Select a valid choice" in response.content
    ArticleFactory(tenant=acme, slug="taken")
    response = admin_client.post("/t/acme/kb/new/", {"title": "New", "slug": "taken", "body": "", "locale": "en"})
    assert response.status_code == 400
    assert b"already uses this address" in response.content


def test_agents_cannot_author(client, acme, bob):
    article = ArticleFactory(tenant=acme)
    client.force_login(bob)
    assert client.get("/t/acme/kb/").status_code == 200
    assert client.get("/t/acme/kb/search/?q=x").status_code == 200
    job = ImportJobFactory(tenant=acme)
    for url in ["/t/acme/kb/new/", f"/t/acme/kb/{article.id}/", "/t/acme/kb/categories/", "/t/acme/kb/import/",
                f"/t/acme/kb/imports/{job.id}/", f"/t/acme/kb/imports/{job.id}/status/"]:
        assert client.get(url).status_code == 403, url
    for url in [f"/t/acme/kb/{article.id}/publish/", f"/t/acme/kb/imports/{job.id}/restart/"]:
        assert client.post(url).status_code == 403, url


def test_another_tenants_article_is_a_404(admin_client, acme, globex):
    theirs = ArticleFactory(tenant=globex)
    their_job = ImportJobFactory(tenant=globex)
    for url in [f"/t/acme/kb/{theirs.id}/", f"/t/acme/kb/{theirs.id}/revisions/",
                f"/t/acme/kb/imports/{their_job.id}/", f"/t/acme/kb/imports/{their_job.id}/status/"]:
        assert admin_client.get(url).status_code == 404, url
    for url in [f"/t/acme/kb/{theirs.id}/publish/", f"/t/acme/kb/imports/{their_job.id}/restart/"]:
        assert admin_client.post(url).status_code == 404, url
    assert admin_client.get("/t/globex/kb/").status_code == 404


def test_preview_renders_sanitized_html(admin_client, acme):
    response = admin_client.post("/t/acme/kb/preview/", {"body": "**hi** <script>x</script>"})
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>hi</strong>" in html and "<script>" not in html


def test_revision_diff_and_restore(admin_client, acme, alice):
    with tenant_context(acme.id):
        article = services.article_save(tenant=acme, author=alice, title="T", body="old line\nsame")
        services.article_save(tenant=acme, author=alice, article=article, title="T", body="new line\nsame")
    response = admin_client.get(f"/t/acme/kb/{article.id}/revisions/1/")
    assert response.status_code == 200
    assert b'<span class="del">-old line</span>' in response.content
    assert b'<span class="add">+new line</span>' in response.content
    assert admin_client.get(f"/t/acme/kb/{article.id}/revisions/9/").status_code == 404
    assert admin_client.post(f"/t/acme/kb/{article.id}/revisions/1/restore/").status_code == 302
    with tenant_context(acme.id):
        article.refresh_from_db()
        assert article.body == "old line\nsame"
        assert ArticleRevision.objects.filter(article=article).count() == 3


def test_category_management(admin_client, acme, globex):
    CategoryFactory(tenant=globex, title="Globex category")
    response = admin_client.post("/t/acme/kb/categories/", {"title": "Billing", "description": "Money"})
    assert response.status_code == 302
    response = admin_client.get("/t/acme/kb/categories/")
    assert b"Billing" in response.content and b"Globex category" not in response.content
    assert admin_client.post("/t/acme/kb/categories/", {"title": ""}).status_code == 400
    with tenant_context(acme.id):
        category = Category.objects.get()
    assert admin_client.post(f"/t/acme/kb/categories/{category.id}/", {"title": "Payments",
                                                                       "position": "2"}).status_code == 302
    assert admin_client.post(f"/t/acme/kb/categories/{category.id}/delete/").status_code == 302
    with tenant_context(acme.id):
        assert not Category.objects.exists()


def _zip_upload(entries: dict[str, str | bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    buffer.seek(0)
    buffer.name = "docs.zip"
    return buffer


def test_an_import_runs_as_a_job_whose_page_shows_progress_then_the_report(
        admin_client, acme, import_worker, django_capture_on_commit_callbacks):
    upload = _zip_upload({"billing/refunds.md": "---\ntitle: Refunds\n---\nMoney back."})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post("/t/acme/kb/import/", {"archive": upload})
    with tenant_context(acme.id):
        job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/t/acme/kb/imports/{job.id}/"
    page = admin_client.get(response["Location"])
    assert b"Waiting for a worker" in page.content and b"js/kb-import.js" in page.content
    status = admin_client.get(f"/t/acme/kb/imports/{job.id}/status/").json()
    assert status == {"status": "queued", "status_label": "Queued", "files_done": 0, "files_total": 0,
                      "finished": False, "stalled": False}
    for callback in callbacks:
        callback()
    assert import_worker == [job.id]
    status = admin_client.get(f"/t/acme/kb/imports/{job.id}/status/").json()
    assert (status["status"], status["files_done"], status["files_total"], status["finished"]) == ("done", 1, 1, True)
    page = admin_client.get(f"/t/acme/kb/imports/{job.id}/")
    assert b"Imported: 1 new, 0 updated, 0 unchanged, 0 categories." in page.content
    assert b"js/kb-import.js" not in page.content  # nothing left to poll
    with tenant_context(acme.id):
        assert Article.objects.get().title == "Refunds"


def test_an_upload_that_is_not_a_zip_is_a_field_error_and_no_job(admin_client, acme):
    bad = io.BytesIO(b"not a zip")
    bad.name = "docs.zip"
    response = admin_client.post("/t/acme/kb/import/", {"archive": bad})
    assert response.status_code == 400
    assert "This is not a zip file." in response.context["form"].errors["archive"]
    with tenant_context(acme.id):
        assert not ImportJob.objects.exists()


def test_import_survives_odd_files_and_reports_a_bad_category(admin_client, acme, import_worker,
                                                             django_capture_on_commit_callbacks):
    upload = _zip_upload({
        "cards/_category.md": "---\ntitle: Cards\nposition: \u00b2\n---\n",
        "cards/lost.md": "---\ntitle: Lost\x00 card\n---\nFreeze\x00 it.",
        "fees/_category.md": "---\ntitle: " + "t" * 500 + "\n---\n",
        "fees/atm.md": b"---\ntitle: ATM\n---\nCosts \xff nothing.",
    })
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/t/acme/kb/import/", {"archive": upload})
    response = admin_client.get(response["Location"])
    assert response.status_code == 200
    assert "fees/_category.md: Keep the title under 120 characters." in response.content.decode()
    with tenant_context(acme.id):
        assert dict(Category.objects.values_list("slug", "title")) == {"cards": "Cards", "fees": "Fees"}
        assert dict(Article.objects.values_list("title", "body")) == {
            "Lost card": "Freeze it.\n", "ATM": "Costs \ufffd nothing.\n"}


def test_a_failed_import_shows_why(admin_client, acme):
    job = ImportJobFactory(tenant=acme, status="failed", failure="The archive cannot be read as a zip file.")
    response = admin_client.get(f"/t/acme/kb/imports/{job.id}/")
    assert response.status_code == 200
    assert b"The archive cannot be read as a zip file." in response.content
    assert admin_client.get(f"/t/acme/kb/imports/{job.id}/status/").json()["finished"] is True


def test_a_stalled_import_offers_to_start_it_again(admin_client, acme, import_worker,
                                                   django_capture_on_commit_callbacks):
    running = ImportJobFactory(tenant=acme, status="running", heartbeat_at=timezone.now())
    assert admin_client.get(f"/t/acme/kb/imports/{running.id}/status/").json()["stalled"] is False
    response = admin_client.post(f"/t/acme/kb/imports/{running.id}/restart/", follow=True)
    assert b"Only an import that stalled can be started again" in response.content
    stalled = ImportJobFactory(tenant=acme, status="running", heartbeat_at=timezone.now() - 2 * IMPORT_STALLED_AFTER,
                               archive=b"not a zip")
    assert admin_client.get(f"/t/acme/kb/imports/{stalled.id}/status/").json()["stalled"] is True
    page = admin_client.get(f"/t/acme/kb/imports/{stalled.id}/")
    assert b"Start it again" in page.content and b"js/kb-import.js" not in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/t/acme/kb/imports/{stalled.id}/restart/")
    assert response.status_code == 302 and import_worker == [stalled.id]
    assert b"cannot be read as a zip file" in admin_client.get(response["Location"]).content


def test_the_import_page_lists_recent_jobs_in_constant_queries(admin_client, acme, globex, alice,
                                                               django_assert_num_queries):
    response = admin_client.get("/t/acme/kb/import/")
    assert b"No imports yet" in response.content
    ImportJobFactory(tenant=acme, author=alice, archive_name="handbook.zip", status="done", created=4)
    ImportJobFactory(tenant=globex, archive_name="globex-secret.zip")
    with django_assert_num_queries(10):
        response = admin_client.get("/t/acme/kb/import/")
    assert b"handbook.zip" in response.content and b"4 new" in response.content
    assert b"globex-secret.zip" not in response.content and b"No imports yet" not in response.content
    ImportJobFactory(tenant=acme, author=None, status="running", files_done=2, files_total=9)
    with django_assert_num_queries(10):
        response = admin_client.get("/t/acme/kb/import/")
    assert b"2 of 9 files" in response.content


class TestHelpCenter:
    def test_home_lists_categories_with_published_articles_only(self, client, acme, globex,
                                                                 django_assert_num_queries):
        category = CategoryFactory(tenant=acme, title="Cards")
        ArticleFactory(tenant=acme, category=category, title="Published one", status="published")
        ArticleFactory(tenant=acme, category=category, title="Draft one")
        ArticleFactory(tenant=globex, title="Globex article", status="published")
        with django_assert_num_queries(8):
            response = client.get("/h/acme/")
        assert response.status_code == 200
        assert b"Published one" in response.content
        assert b"Draft one" not in response.content and b"Globex article" not in response.content
        other = CategoryFactory(tenant=acme, title="Payments")
        ArticleFactory(tenant=acme, category=other, title="Refunds", status="published")
        with django_assert_num_queries(8):  # no query per category
            assert b"Refunds" in client.get("/h/acme/").content

    def test_category_and_article_pages(self, client, acme, globex):
        category = CategoryFactory(tenant=acme, slug="cards")
        ArticleFactory(tenant=acme, category=category, slug="lost", status="published",
                       body_html="<p>Freeze it</p>")
        ArticleFactory(tenant=acme, category=category, slug="draft")
        ArticleFactory(tenant=globex, slug="theirs", status="published")
        assert client.get("/h/acme/categories/cards/").status_code == 200
        response = client.get("/h/acme/articles/lost/")
        assert response.status_code == 200 and b"Freeze it" in response.content
        assert b"Was this article helpful?" in response.content
        assert client.get("/h/acme/articles/draft/").status_code == 404
        assert client.get("/h/acme/articles/theirs/").status_code == 404
        assert client.get("/h/nope/").status_code == 404

    def test_feedback_works_without_javascript(self, client, acme):
        article = ArticleFactory(tenant=acme, slug="lost", status="published")
        response = client.post("/h/acme/articles/lost/feedback/", {"helpful": "no", "comment": "Too short"})
        assert response.status_code == 302 and response["Location"].endswith("?thanks=1#feedback")
        with tenant_context(acme.id):
            feedback = ArticleFeedback.objects.get(article=article)
        assert (feedback.helpful, feedback.comment) == (False, "Too short")
        assert b"Thanks for your feedback" in client.get(response["Location"]).content
        assert client.post("/h/acme/articles/lost/feedback/", {"helpful": "maybe"}).status_code == 400
        assert client.post("/h/acme/articles/lost/feedback/", {"helpful": "yes",
                                                               "comment": "x" * 3000}).status_code == 400

    def test_search_page_highlights_and_handles_empty_results(self, client, publish, acme, globex):
        publish(acme, title="Card delivery", body="Standard delivery takes 3 to 5 days.")
        publish(globex, title="Globex delivery", body="Globex delivery takes forever.")
        response = client.get("/h/acme/search/?q=delivery")
        assert response.status_code == 200
        assert b"<mark>delivery</mark>" in response.content
        assert b"Globex" not in response.content
        assert b"No results" in client.get("/h/acme/search/?q=zzzqqq").content
        assert client.get("/h/acme/search/?q=" + "x" * 600).status_code == 400

    def test_a_subdomain_serves_its_own_help_center(self, client, acme, globex):
        assert client.get("/h/acme/", HTTP_HOST="acme.helpdesk.localhost").status_code == 200
        response = client.get("/h/globex/", HTTP_HOST="acme.helpdesk.localhost")
        assert response.status_code == 302 and response["Location"] == "/h/acme/"

    def test_branding_is_applied(self, client, acme):
        acme.branding = {"primary_color": "#ff0000", "welcome": "Hi from Acme"}
        acme.save()
        content = client.get("/h/acme/").content
        assert b"--brand: #ff0000" in content and b"Hi from Acme" in content


def test_agent_search_fragment(admin_client, publish, acme):
    publish(acme, title="Card delivery", body="Standard delivery takes 3 to 5 days.")
    response = admin_client.get("/t/acme/kb/search/?q=delivery&fragment=1")
    assert response.status_code == 200
    assert b"<html" not in response.content and b"/h/acme/articles/card-delivery/" in response.content
