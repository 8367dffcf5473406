"""A tiny zip that expands to gigabytes during a knowledge-base import: refused at upload, from the zip's directory
alone (the web process unpacks nothing; the worker that imports checks the caps again, tests/kb/test_importing.py)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kb import tasks
from kb.models import Article, ImportJob
from tenants.rls import tenant_context

pytestmark = pytest.mark.django_db


def _bomb(files: int, size: int) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        zeros = b"\0" * size
        for n in range(files):
            archive.writestr(f"cards/article-{n}.md", zeros)
    return SimpleUploadedFile("kb.zip", buffer.getvalue(), content_type="application/zip")


@pytest.mark.parametrize(("files", "size", "says"), [
    (60, 999_999, "larger than 50 MB once unpacked"),  # each entry under the 1 MB cap, 60 MB in all
    (1, 900_000, "unpacks to over 100 times its size"),
])
def test_an_archive_that_expands_far_beyond_its_size_is_refused(client, alice, acme, files, size, says) -> None:
    upload = _bomb(files, size)
    assert len(upload) < 200_000  # what the attacker sends
    client.force_login(alice)
    response = client.post("/t/acme/kb/import/", {"archive": upload, "publish": "on"})
    assert response.status_code == 400
    assert says in str(response.context["form"].errors["archive"])
    with tenant_context(acme.id):
        assert not ImportJob.objects.for_tenant(acme).exists()
        assert not Article.objects.for_tenant(acme).exists()


def test_an_archive_of_real_articles_still_imports(client, alice, acme, django_capture_on_commit_callbacks) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        body = "".join(f"Step {n}: freeze card {n} in the app, then order a new one.\n" for n in range(400))
        archive.writestr("cards/lost-card.md", f"# Lost your card?\n\n{body}")
    client.force_login(alice)
    upload = SimpleUploadedFile("kb.zip", buffer.getvalue(), content_type="application/zip")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = client.post("/t/acme/kb/import/", {"archive": upload, "publish": ""})
    assert response.status_code == 302 and len(enqueued) == 1
    with tenant_context(acme.id):
        job = ImportJob.objects.for_tenant(acme).get()
    tasks.import_job_run_task(acme.id, job.id)  # as the worker does once the enqueue above has run
    with tenant_context(acme.id):
        assert ImportJob.objects.for_tenant(acme).get().status == "done"
        assert Article.objects.for_tenant(acme).count() == 1
