"""Files in chats: upload validation, messages that reference uploads, downloads per side, tickets that copy them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from chat.models import ChatAttachment, ChatMessage, Sender
from chat.services.attachments import MAX_PER_MESSAGE, attachments_for_message
from tenants.rls import tenant_context
from tests.factories import ChatAttachmentFactory, ChatSettingsFactory, ConversationFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def conversation(acme):
    return ConversationFactory(tenant=acme)


def _upload(tenant, conversation, *, side=Sender.CUSTOMER, filename="receipt.txt", content_type="text/plain",
            data=b"paid 20 EUR", uploader=None):
    return services.attachment_upload(tenant=tenant, conversation=conversation, side=side, uploader=uploader,
                                      filename=filename, content_type=content_type, data=data)


class TestUpload:
    def test_an_allowed_file_is_stored_with_our_content_type(self, in_acme, conversation):
        item = _upload(in_acme, conversation, filename="../../etc/photo.PNG", content_type="application/x-foo",
                       data=PNG)
        item.refresh_from_db()
        assert (item.filename, item.content_type, item.size) == ("photo.PNG", "image/png", len(PNG))
        assert bytes(item.data) == PNG

    def test_an_oversized_file_is_a_field_error(self, in_acme, conversation, settings):
        settings.MAX_ATTACHMENT_BYTES = 10
        with pytest.raises(ValidationError) as exc:
            _upload(in_acme, conversation, data=b"x" * 11)
        assert "limited" in exc.value.message_dict["file"][0]
        assert not ChatAttachment.objects.exists()

    @pytest.mark.parametrize("filename, content_type, data", [
        ("page.html", "text/html", b"<script>alert(1)</script>"),
        ("logo.svg", "image/svg+xml", b"<svg onload='alert(1)'/>"),
        ("app.js", "application/javascript", b"alert(1)"),
        ("setup.exe", "application/octet-stream", b"MZ"),
        ("noextension", "text/plain", b"hi"),
        ("photo.png", "text/html", PNG),  # an allowed name does not make an active type acceptable
        ("photo.png", "image/png", b"<html><script>alert(1)</script>"),  # not really a PNG
        ("empty.txt", "text/plain", b""),
    ])
    def test_dangerous_or_unknown_files_are_refused(self, in_acme, conversation, filename, content_type, data):
        with pytest.raises(ValidationError) as exc:
            _upload(in_acme, conversation, filename=filename, content_type=content_type, data=data)
        assert exc.value.message_dict["file"]

    def test_a_closed_conversation_takes_no_files(self, in_acme, conversation, bob):
        services.close(tenant=in_acme, conversation=conversation, actor=bob, resolved=True)
        conversation.refresh_from_db()
        with pytest.raises(ValidationError) as exc:
            _upload(in_acme, conversation)
        assert "conversation" in exc.value.message_dict


class TestMessagesWithFiles:
    def test_a_message_carries_its_files_and_the_payload_links_them(self, in_acme, conversation,
                                                                      django_capture_on_commit_callbacks):
        item = _upload(in_acme, conversation)
        message = services.post_customer_message(tenant=in_acme, conversation=conversation, text="Here",
                                                 client_msg_id="m1", attachment_ids=[item.id])
        assert message.attachments == [{"id": item.id, "filename": "receipt.txt", "content_type": "text/plain",
                                        "size": item.size}]
        from chat.payloads import message_payload

        payload = message_payload(ChatMessage.objects.get(id=message.id), tenant_slug="acme")
        assert payload["attachments"][0]["url"] == f"/c/acme/attachments/{item.id}/"
        assert payload["attachments"][0]["agent_url"] == f"/t/acme/chat/attachments/{item.id}/"

    def test_files_alone_make_a_message(self, in_acme, conversation):
        item = _upload(in_acme, conversation)
        message = services.post_customer_message(tenant=in_acme, conversation=conversation, text="",
                                                 client_msg_id="m1", attachment_ids=[item.id])
        assert (message.text, len(message.attachments)) == ("", 1)
        with pytest.raises(ValidationError):  # but no text and no files is still nothing
            services.post_customer_message(tenant=in_acme, conversation=conversation, text="", client_msg_id="m2")

    def test_only_this_sides_uploads_of_this_conversation_can_be_referenced(self, in_acme, acme, globex,
                                                                            conversation, bob):
        other_conversation = ConversationFactory(tenant=acme)
        theirs = _upload(in_acme, other_conversation)
        agents = _upload(in_acme, conversation, side=Sender.AGENT, uploader=bob)
        mine = _upload(in_acme, conversation)
        with tenant_context(globex.id):
            other_tenant = ChatAttachmentFactory(tenant=globex)
        for ids in ([theirs.id], [agents.id], [other_tenant.id], [mine.id, 999_999]):
            with pytest.raises(ValidationError) as exc:
                attachments_for_message(tenant=in_acme, conversation_id=conversation.id, attachment_ids=ids,
                                        side=Sender.CUSTOMER)
            assert "Unknown attachment" in exc.value.message_dict["attachments"][0]
        for bad in ("1", [True], [-1], ["x"], {"id": 1}):
            with pytest.raises(ValidationError):
                attachments_for_message(tenant=in_acme, conversation_id=conversation.id, attachment_ids=bad,
                                        side=Sender.CUSTOMER)
        too_many = [_upload(in_acme, conversation).id for _ in range(MAX_PER_MESSAGE + 1)]
        with pytest.raises(ValidationError) as exc:
            attachments_for_message(tenant=in_acme, conversation_id=conversation.id, attachment_ids=too_many,
                                    side=Sender.CUSTOMER)
        assert f"at most {MAX_PER_MESSAGE}" in exc.value.message_dict["attachments"][0]

    def test_a_message_without_files_is_still_one_statement_and_no_file_lookup(self, in_acme, conversation):
        with CaptureQueriesContext(connection) as queries:
            services.post_customer_message(tenant=in_acme, conversation=conversation, text="Hi", client_msg_id="a")
        sqls = [q["sql"] for q in queries.captured_queries]
        assert not any("chat_chatattachment" in s for s in sqls)
        assert len(sqls) == 1 and "chat_message_post" in sqls[0]  # as before files existed

    def test_the_ticket_of_the_chat_gets_copies_of_its_files(self, in_acme, conversation, bob):
        from tickets.models import Attachment, Ticket

        item = _upload(in_acme, conversation, data=b"the receipt")
        services.post_customer_message(tenant=in_acme, conversation=conversation, text="My receipt",
                                       client_msg_id="m1", attachment_ids=[item.id])
        services.post_customer_message(tenant=in_acme, conversation=conversation, text="", client_msg_id="m2",
                                       attachment_ids=[item.id])
        unsent = _upload(in_acme, conversation, filename="unsent.txt")
        services.agent_take_over(tenant=in_acme, conversation=conversation, agent=bob)
        note_file = _upload(in_acme, conversation, side=Sender.AGENT, uploader=bob, filename="internal.txt")
        services.note_add(tenant=in_acme, conversation=conversation, agent=bob, text="see file",
                          attachment_ids=[note_file.id])
        closed = services.close(tenant=in_acme, conversation=conversation, actor=bob, resolved=False)

        ticket = Ticket.objects.for_tenant(in_acme).get(id=closed.ticket_id)
        copies = Attachment.objects.for_tenant(in_acme).filter(message__ticket=ticket).select_related("message")
        assert sorted((a.message.body, a.filename, bytes(a.data)) for a in copies) == [
            ("My receipt", "receipt.txt", b"the receipt"), ("Sent receipt.txt", "receipt.txt", b"the receipt"),
        ]
        assert unsent.filename not in {a.filename for a in copies}  # never sent: not in the transcript
        assert note_file.filename not in {a.filename for a in copies}  # internal notes stay out of tickets
        assert ticket.subject == "Chat: My receipt"


def _visitor_session(client, tenant_slug="acme", name="Ann"):
    response = client.post(f"/c/{tenant_slug}/start/", {"name": name, "email": f"{name.lower()}@example.test"})
    assert response.status_code == 201
    return response.json()


def _post_file(client, url, *, name="receipt.txt", data=b"paid", content_type="text/plain", **headers):
    return client.post(url, {"file": SimpleUploadedFile(name, data, content_type=content_type)}, **headers)


class TestVisitorEndpoints:
    def test_a_visitor_uploads_with_the_token_and_downloads_it_as_an_attachment(self, client, acme):
        session = _visitor_session(client)
        response = _post_file(client, "/c/acme/attachments/", HTTP_X_CHAT_TOKEN=session["token"])
        assert response.status_code == 201
        body = response.json()
        assert (body["filename"], body["content_type"], body["size"]) == ("receipt.txt", "text/plain", 4)
        download = client.get(f"/c/acme/attachments/{body['id']}/?token={session['token']}")
        assert download.status_code == 200
        assert download.content == b"paid"
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download["Content-Security-Policy"]

    def test_bad_uploads_are_400_with_field_messages(self, client, acme, settings):
        token = _visitor_session(client)["token"]
        settings.MAX_ATTACHMENT_BYTES = 100
        cases = [
            ({"data": b"x" * 101}, "file"),
            ({"name": "page.html", "content_type": "text/html", "data": b"<script></script>"}, "file"),
            ({"name": "logo.svg", "content_type": "image/svg+xml", "data": b"<svg/>"}, "file"),
        ]
        for kwargs, field in cases:
            response = _post_file(client, "/c/acme/attachments/", HTTP_X_CHAT_TOKEN=token, **kwargs)
            assert response.status_code == 400, kwargs
            assert response.json()["errors"][field]
        response = client.post("/c/acme/attachments/", {}, HTTP_X_CHAT_TOKEN=token)
        assert (response.status_code, list(response.json()["errors"])) == (400, ["file"])
        big = client.post("/c/acme/attachments/", {"file": SimpleUploadedFile("a.txt", b"x" * 200_000)},
                          HTTP_X_CHAT_TOKEN=token)  # refused from Content-Length, before the body is parsed
        assert (big.status_code, list(big.json()["errors"])) == (400, ["file"])
        with tenant_context(acme.id):
            assert not ChatAttachment.objects.exists()

    def test_uploads_need_a_valid_token_of_this_tenant_and_an_allowed_origin(self, client, acme, globex):
        ChatSettingsFactory(tenant=acme, allowed_origins="https://shop.acme.test")
        theirs = _visitor_session(client, "globex")["token"]
        mine = _visitor_session(client)["token"]
        assert _post_file(client, "/c/acme/attachments/").status_code == 403
        assert _post_file(client, "/c/acme/attachments/", HTTP_X_CHAT_TOKEN="forged").status_code == 403
        assert _post_file(client, "/c/acme/attachments/", HTTP_X_CHAT_TOKEN=theirs).status_code == 403
        assert _post_file(client, "/c/acme/attachments/", HTTP_X_CHAT_TOKEN=mine,
                          HTTP_ORIGIN="https://evil.test").status_code == 403
        assert _post_file(client, "/c/acme/attachments/", HTTP_X_CHAT_TOKEN=mine,
                          HTTP_ORIGIN="https://shop.acme.test").status_code == 201

    def test_a_visitor_downloads_only_files_of_their_own_conversation(self, client, acme, globex, bob):
        ann, ben = _visitor_session(client, name="Ann"), _visitor_session(client, name="Ben")
        file_id = _post_file(client, "/c/acme/attachments/", HTTP_X_CHAT_TOKEN=ann["token"]).json()["id"]
        assert client.get(f"/c/acme/attachments/{file_id}/?token={ann['token']}").status_code == 200
        assert client.get(f"/c/acme/attachments/{file_id}/?token={ben['token']}").status_code == 404
        assert client.get(f"/c/acme/attachments/{file_id}/").status_code == 404
        carl = _visitor_session(client, "globex", name="Carl")  # another tenant's visitor, on their own page
        assert client.get(f"/c/globex/attachments/{file_id}/?token={carl['token']}").status_code == 404
        assert client.get(f"/c/acme/attachments/{file_id}/?token={carl['token']}").status_code == 404

    def test_a_visitor_gets_an_agents_file_only_once_it_was_sent_to_them(self, client, acme, bob):
        ann = _visitor_session(client)
        with tenant_context(acme.id):
            conversation = services.conversation_get(tenant=acme, conversation_id=ann["conversation"])
            services.agent_take_over(tenant=acme, conversation=conversation, agent=bob)
            on_note = _upload(acme, conversation, side=Sender.AGENT, uploader=bob, filename="note.txt")
            services.note_add(tenant=acme, conversation=conversation, agent=bob, text="internal",
                              attachment_ids=[on_note.id])
            sent = _upload(acme, conversation, side=Sender.AGENT, uploader=bob, filename="form.txt")
        url = f"/c/acme/attachments/{sent.id}/?token={ann['token']}"
        assert client.get(url).status_code == 404  # uploaded, not sent yet
        assert client.get(f"/c/acme/attachments/{on_note.id}/?token={ann['token']}").status_code == 404
        with tenant_context(acme.id):
            services.agent_reply(tenant=acme, conversation=conversation, agent=bob, text="The form",
                                 attachment_ids=[sent.id])
        assert client.get(url).status_code == 200


class TestAgentEndpoints:
    def test_an_agent_uploads_to_a_conversation_of_the_tenant(self, client, acme, globex, bob, conversation):
        client.force_login(bob)
        response = _post_file(client, f"/t/acme/chat/{conversation.id}/attachments/", name="form.pdf",
                              data=b"%PDF-1.4 ...", content_type="application/pdf")
        assert response.status_code == 201
        with tenant_context(acme.id):
            item = ChatAttachment.objects.get(id=response.json()["id"])
            assert (item.side, item.uploader_id, item.content_type) == ("agent", bob.id, "application/pdf")
        theirs = ConversationFactory(tenant=globex)
        assert _post_file(client, f"/t/acme/chat/{theirs.id}/attachments/").status_code == 404
        bad = _post_file(client, f"/t/acme/chat/{conversation.id}/attachments/", name="x.html",
                         content_type="text/html")
        assert (bad.status_code, list(bad.json()["errors"])) == (400, ["file"])

    def test_agents_download_their_tenants_files_only(self, client, acme, globex, bob, carol):
        mine = ChatAttachmentFactory(tenant=acme, filename='we"ird\r\nname.txt')
        theirs = ChatAttachmentFactory(tenant=globex)
        client.force_login(bob)
        response = client.get(f"/t/acme/chat/attachments/{mine.id}/")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert "\n" not in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert client.get(f"/t/acme/chat/attachments/{theirs.id}/").status_code == 404
        client.force_login(carol)
        assert client.get(f"/t/globex/chat/attachments/{mine.id}/").status_code == 404
        assert client.get(f"/t/globex/chat/attachments/{theirs.id}/").status_code == 200
