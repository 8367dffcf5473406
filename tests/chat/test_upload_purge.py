"""Files uploaded in a chat but never sent are purged after a day; sent files and recent uploads stay."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from chat import tasks
from chat.models import ChatAttachment, Sender
from chat.services.attachments import attachments_for_message, unsent_attachments_purge
from helpdesk.celery import app
from tenants.rls import tenant_context
from tests.factories import ChatAttachmentFactory, ChatMessageFactory, ConversationFactory

pytestmark = pytest.mark.django_db


def _meta(item: ChatAttachment) -> dict[str, object]:
    return {"id": item.id, "filename": item.filename, "content_type": item.content_type, "size": item.size}


def _upload(tenant, *, hours_ago: float, conversation=None) -> ChatAttachment:
    conversation = conversation or ConversationFactory(tenant=tenant)
    return ChatAttachmentFactory(tenant=tenant, conversation=conversation,
                                 created_at=timezone.now() - timedelta(hours=hours_ago))


def _remaining(tenant) -> set[int]:
    with tenant_context(tenant.id):
        return set(ChatAttachment.objects.for_tenant(tenant).values_list("id", flat=True))


class TestService:
    def test_an_old_unsent_upload_is_deleted(self, acme):
        old = _upload(acme, hours_ago=25)
        with tenant_context(acme.id):
            assert unsent_attachments_purge(tenant=acme) == 1
        assert old.id not in _remaining(acme)

    def test_an_old_file_that_a_message_sent_is_kept(self, acme):
        conversation = ConversationFactory(tenant=acme)
        first, sent = (_upload(acme, hours_ago=24 * 400, conversation=conversation) for _ in range(2))
        on_note = _upload(acme, hours_ago=24 * 400, conversation=conversation)
        # The message names ``sent`` second in its list; an internal note counts as sending too.
        ChatMessageFactory(tenant=acme, conversation=conversation, attachments=[_meta(first), _meta(sent)])
        ChatMessageFactory(tenant=acme, conversation=conversation, sender=Sender.AGENT, internal=True,
                           attachments=[_meta(on_note)])
        ChatMessageFactory(tenant=acme, conversation=conversation, text="no files")
        with tenant_context(acme.id):
            assert unsent_attachments_purge(tenant=acme) == 0
        assert _remaining(acme) == {first.id, sent.id, on_note.id}

    def test_a_message_of_another_conversation_does_not_keep_a_file(self, acme):
        orphan = _upload(acme, hours_ago=48)
        # Sending only takes a conversation's own uploads, so a stray reference elsewhere is not a send.
        ChatMessageFactory(tenant=acme, attachments=[_meta(orphan)])
        with tenant_context(acme.id):
            assert unsent_attachments_purge(tenant=acme) == 1
        assert orphan.id not in _remaining(acme)

    def test_a_recent_unsent_upload_is_kept(self, acme):
        just_now = _upload(acme, hours_ago=0.1)
        earlier = _upload(acme, hours_ago=23)
        with tenant_context(acme.id):
            assert unsent_attachments_purge(tenant=acme) == 0
        assert _remaining(acme) == {just_now.id, earlier.id}
        with tenant_context(acme.id):
            assert unsent_attachments_purge(tenant=acme, older_than=timedelta(hours=1)) == 1
        assert _remaining(acme) == {just_now.id}

    def test_a_purge_leaves_other_tenants_files_alone(self, acme, globex):
        ours = _upload(acme, hours_ago=48)
        theirs = _upload(globex, hours_ago=48)
        with tenant_context(acme.id):
            assert unsent_attachments_purge(tenant=acme) == 1
        assert ours.id not in _remaining(acme)
        assert _remaining(globex) == {theirs.id}

    @pytest.mark.parametrize("older_than", [timedelta(0), timedelta(hours=-1)])
    def test_a_non_positive_age_is_refused(self, acme, older_than):
        kept = _upload(acme, hours_ago=1)
        with tenant_context(acme.id), pytest.raises(ValueError):
            unsent_attachments_purge(tenant=acme, older_than=older_than)
        assert _remaining(acme) == {kept.id}


@pytest.mark.django_db(transaction=True)
def test_a_file_being_sent_is_not_purged(acme):
    """A file older than a day that a message is sending right now (its transaction not yet committed) is skipped,
    then kept for good once the message commits."""
    conversation = ConversationFactory(tenant=acme)
    item = _upload(acme, hours_ago=48, conversation=conversation)
    locked, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def send() -> None:
        try:
            with tenant_context(acme.id):
                files = attachments_for_message(tenant=acme, conversation_id=conversation.id,
                                                attachment_ids=[item.id], side=Sender.CUSTOMER)
                locked.set()
                assert release.wait(10)
                ChatMessageFactory(tenant=acme, conversation=conversation, attachments=files)
        except BaseException as exc:  # reported by the test's thread below
            failure.append(exc)
            locked.set()
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    try:
        assert locked.wait(10)
        with tenant_context(acme.id):
            assert unsent_attachments_purge(tenant=acme) == 0
    finally:
        release.set()
        sender.join(10)
    assert not failure
    with tenant_context(acme.id):
        assert unsent_attachments_purge(tenant=acme) == 0
    assert _remaining(acme) == {item.id}


class TestTasks:
    def test_the_tenant_task_purges_in_its_tenants_context(self, acme, globex):
        old = _upload(acme, hours_ago=25)
        recent = _upload(acme, hours_ago=1)
        theirs = _upload(globex, hours_ago=25)
        assert tasks.unsent_attachments_purge.apply(args=(acme.id,)).get() == 1
        assert _remaining(acme) == {recent.id}
        assert old.id not in _remaining(acme)
        assert _remaining(globex) == {theirs.id}

    def test_beat_runs_the_fan_out_hourly(self):
        entry = settings.CELERY_BEAT_SCHEDULE["chat-unsent-uploads-purge"]
        assert entry["task"] == tasks.unsent_attachments_purge_all.name
        assert entry["task"] in app.tasks
        assert entry["schedule"] == 3600.0


class TestCommand:
    def test_it_reports_per_tenant_and_only_purges_the_chosen_one(self, acme, globex):
        ours = [_upload(acme, hours_ago=30) for _ in range(2)]
        theirs = _upload(globex, hours_ago=30)
        out = io.StringIO()
        call_command("chat_purge_uploads", "--tenant", "acme", stdout=out)
        assert "acme: 2 unsent files removed" in out.getvalue()
        assert "globex" not in out.getvalue()
        assert not _remaining(acme) & {o.id for o in ours}
        assert _remaining(globex) == {theirs.id}

        out = io.StringIO()
        call_command("chat_purge_uploads", "--hours", "12", stdout=out)
        assert "acme: 0 unsent files removed" in out.getvalue()
        assert "globex: 1 unsent file removed" in out.getvalue()
        assert "1 unsent file removed from 2 tenants." in out.getvalue()
        assert not _remaining(globex)

    def test_hours_picks_the_age(self, acme):
        recent = _upload(acme, hours_ago=5)
        call_command("chat_purge_uploads", stdout=io.StringIO())
        assert _remaining(acme) == {recent.id}
        out = io.StringIO()
        call_command("chat_purge_uploads", "--hours", "4.5", stdout=out)
        assert "acme: 1 unsent file removed" in out.getvalue()
        assert not _remaining(acme)

    @pytest.mark.parametrize("args, message", [
        (["--tenant", "nope"], "No tenant 'nope'"),
        (["--hours", "0"], "positive"),
        (["--hours", "-3"], "positive"),
        (["--hours", "nan"], "positive"),
        (["--hours", "1e12"], "too large"),
        (["--hours", "soon"], "invalid float value"),
    ])
    def test_bad_arguments_are_a_clear_error(self, acme, args, message):
        kept = _upload(acme, hours_ago=48)
        with pytest.raises(CommandError, match=message):
            call_command("chat_purge_uploads", *args, stdout=io.StringIO())
        assert _remaining(acme) == {kept.id}
