"""Zip imports as jobs: checked and kept by the web process, imported by a worker that commits file by file."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kb import importing, tasks
from kb.models import IMPORT_STALLED_AFTER, Article, ImportJob
from tenants.rls import tenant_context
from tests.factories import ArticleFactory, ImportJobFactory

pytestmark = pytest.mark.django_db

DOCS = {
    "docs/cards/_category.md": "---\ntitle: Cards\n---\n",
    "docs/cards/lost-card.md": "---\ntitle: Lost card\n---\nFreeze it.\n",
    "docs/welcome.md": "Hello there.",
}


def _zip(entries: dict[str, str], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _job(tenant, data: bytes, *, author=None, publish: bool = False) -> ImportJob:
    with tenant_context(tenant.id):
        return importing.import_job_create(tenant=tenant, author=author, publish=publish,
                                           archive=SimpleUploadedFile("docs.zip", data))


def _reload(job: ImportJob) -> ImportJob:
    with tenant_context(job.tenant_id):
        return ImportJob.objects.get(id=job.id)


def test_creating_a_job_keeps_the_archive_and_enqueues_it_on_commit(acme, alice, import_worker,
                                                                    django_capture_on_commit_callbacks):
    data = _zip(DOCS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = _job(acme, data, author=alice, publish=True)
    assert import_worker == [] and len(callbacks) == 1  # nothing before commit
    stored = _reload(job)
    assert (bytes(stored.archive), stored.status, stored.author_id, stored.publish, stored.archive_name) == (
        data, "queued", alice.id, True, "docs.zip")
    callbacks[0]()
    assert import_worker == [job.id]
    assert _reload(job).status == "done"


@pytest.mark.parametrize(("data", "says"), [
    (b"not a zip", "This is not a zip file."),
    (b"PK\x05\x06" + b"\0" * 18, "This zip holds no Markdown (.md) files to import."),
    (_zip({"logo.png": "PNG"}), "This zip holds no Markdown (.md) files to import."),
    (_zip({f"a-{n}.md": "x" for n in range(importing.MAX_FILES + 1)}), "At most 2000 Markdown files per import."),
])
def test_an_upload_that_cannot_be_imported_is_refused_before_it_is_kept(in_acme, data, says):
    with pytest.raises(ValidationError) as exc:
        importing.import_job_create(tenant=in_acme, author=None, publish=False,
                                    archive=SimpleUploadedFile("docs.zip", data))
    assert exc.value.message_dict == {"archive": [says]}
    assert not ImportJob.objects.exists()


def test_an_upload_over_the_archive_cap_is_refused(in_acme, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ARCHIVE_BYTES", 100)
    with pytest.raises(ValidationError, match="larger than"):
        importing.import_job_create(tenant=in_acme, author=None, publish=False,
                                    archive=SimpleUploadedFile("docs.zip", _zip(DOCS)))


def test_a_job_imports_its_zip_reports_the_counts_and_drops_the_archive(acme, alice):
    ArticleFactory(tenant=acme, slug="welcome", category=None)
    job = _job(acme, _zip(DOCS), author=alice, publish=True)
    tasks.import_job_run_task(acme.id, job.id)
    job = _reload(job)
    assert (job.status, job.files_done, job.files_total, job.percent) == ("done", 3, 3, 100)
    assert (job.created, job.updated, job.unchanged, job.categories, job.errors) == (1, 1, 0, 1, [])
    assert bytes(job.archive) == b"" and job.finished_at is not None and job.failure == ""
    with tenant_context(acme.id):
        lost = Article.objects.get(slug="lost-card")
        assert (lost.title, lost.category.title, lost.is_published, lost.author_id) == (
            "Lost card", "Cards", True, alice.id)
    again = _job(acme, _zip(DOCS))
    tasks.import_job_run_task(acme.id, again.id)
    assert (_reload(again).created, _reload(again).unchanged) == (0, 2)


def test_a_redelivered_task_leaves_a_finished_job_alone(acme):
    job = _job(acme, _zip(DOCS))
    tasks.import_job_run_task(acme.id, job.id)
    with tenant_context(acme.id):
        Article.objects.filter(slug="welcome").update(title="Edited since")
    tasks.import_job_run_task(acme.id, job.id)
    with tenant_context(acme.id):
        assert Article.objects.get(slug="welcome").title == "Edited since"
    job = _reload(job)
    assert (job.status, job.created, job.failure) == ("done", 2, "")


def test_a_job_whose_worker_died_halfway_runs_again(acme):
    job = _job(acme, _zip(DOCS))
    with tenant_context(acme.id):
        ImportJob.objects.filter(id=job.id).update(status="running", files_done=1)
    tasks.import_job_run_task(acme.id, job.id)
    job = _reload(job)
    assert (job.status, job.files_done, job.created) == ("done", 3, 2)


@pytest.mark.parametrize(("interval", "seen"), [(0, [1, 2]), (3600, [0, 0])])
def test_progress_commits_with_the_files_at_most_every_interval(acme, monkeypatch, interval, seen):
    monkeypatch.setattr(importing, "PROGRESS_INTERVAL", interval)
    job = _job(acme, _zip(DOCS))
    observed = []
    import_article = importing._import_article

    def spy(**kwargs) -> None:
        # What the page's poll reads once the previous file has committed.
        observed.append(ImportJob.objects.get(id=job.id).files_done)
        import_article(**kwargs)

    monkeypatch.setattr(importing, "_import_article", spy)
    tasks.import_job_run_task(acme.id, job.id)
    assert observed == seen
    assert _reload(job).files_done == 3


def test_a_broken_entry_is_listed_in_the_errors_and_the_rest_imported(acme):
    entries = {"docs/cards/good.md": "Fine.", "docs/cards/broken.md": "BROKEN-ENTRY " * 20}
    data = _zip(entries, compression=zipfile.ZIP_STORED)
    job = _job(acme, data.replace(b"BROKEN-ENTRY", b"Broken-entry", 1))  # its CRC no longer matches
    tasks.import_job_run_task(acme.id, job.id)
    job = _reload(job)
    assert (job.status, job.created, job.files_total) == ("done", 1, 1)
    assert len(job.errors) == 1 and job.errors[0].startswith("cards/broken.md: this entry of the zip cannot be")
    with tenant_context(acme.id):
        assert list(Article.objects.values_list("slug", flat=True)) == ["good"]


def test_an_unexpected_error_fails_the_job_and_keeps_what_was_imported(acme, monkeypatch):
    job = _job(acme, _zip({"a.md": "A", "b.md": "B"}))
    import_article = importing._import_article

    def flaky(**kwargs) -> None:
        if kwargs["path"].name == "b.md":
            raise RuntimeError("connection lost")
        import_article(**kwargs)

    monkeypatch.setattr(importing, "_import_article", flaky)
    result = tasks.import_job_run_task.apply(args=(acme.id, job.id))  # as a worker runs it, failure handling too
    assert result.failed() and isinstance(result.result, RuntimeError)
    job = _reload(job)
    assert job.status == "failed" and "stopped on an unexpected error" in job.failure
    assert bytes(job.archive) == b"" and job.finished_at is not None
    with tenant_context(acme.id):
        assert list(Article.objects.values_list("slug", flat=True)) == ["a"]


@pytest.mark.parametrize(("data", "says"), [
    (_zip({"cards/zeros.md": "\0" * 900_000}), "unpacks to over 100 times its size"),
    (b"not a zip", "cannot be read as a zip file"),
])
def test_the_worker_checks_the_archive_again_and_fails_the_job_with_the_reason(acme, data, says):
    job = ImportJobFactory(tenant=acme, archive=data)  # kept without the web process's checks
    tasks.import_job_run_task(acme.id, job.id)
    job = _reload(job)
    assert job.status == "failed" and says in job.failure
    with tenant_context(acme.id):
        assert not Article.objects.exists()


def test_a_stalled_job_can_be_started_again_and_finishes(acme, import_worker, django_capture_on_commit_callbacks):
    job = _job(acme, _zip(DOCS))
    with tenant_context(acme.id):
        with pytest.raises(ValidationError, match="this one is queued"):
            importing.import_job_restart(tenant=acme, job=job)
        ImportJob.objects.filter(id=job.id).update(status="running", files_done=1,
                                                   heartbeat_at=timezone.now() - 2 * IMPORT_STALLED_AFTER)
    assert _reload(job).is_stalled
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.id):
        importing.import_job_restart(tenant=acme, job=job)
    assert import_worker == [job.id]
    job = _reload(job)
    assert (job.status, job.files_done, job.created, job.is_stalled) == ("done", 3, 2, False)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_while_the_page_watches_its_progress(client, acme, alice, celery_worker_process):
    entries = {f"docs/guide/page-{n:03}.md": f"---\ntitle: Page {n}\n---\nStep {n}: do it.\n" for n in range(400)}
    client.force_login(alice)
    response = client.post("/t/acme/kb/import/", {"archive": SimpleUploadedFile("docs.zip", _zip(entries))})
    assert response.status_code == 302
    seen, deadline = set(), time.monotonic() + 120
    while not (status := client.get(response["Location"] + "status/").json())["finished"]:
        seen.add(status["files_done"])
        assert time.monotonic() < deadline, f"the import never finished: {status}"
        time.sleep(0.05)
    assert (status["status"], status["files_done"], status["files_total"]) == ("done", 400, 400)
    # Another process (this test) saw the count move: the worker commits file by file, not in one transaction.
    assert any(0 < done < 400 for done in seen), seen
    with tenant_context(acme.id):
        assert Article.objects.count() == 400
