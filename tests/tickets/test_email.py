"""The email channel with real MIME: parsing, the inbound webhook, threading both ways, loops never answered."""

from __future__ import annotations

import base64
from email import policy
from email.parser import BytesParser

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from helpdesk.crypto import secret_encrypt
from tenants.models import Membership
from tenants.rls import tenant_context
from tests.helpers import FakeImapServer
from tests.tickets.conftest import mime
from tickets import services
from tickets.mail.parse import parse_email
from tickets.models import Attachment, Message, Ticket
from tickets.services import AttachmentIn

pytestmark = pytest.mark.django_db
URL = "/t/acme/api/v1/inbound/email/"


@pytest.fixture
def secret(acme, alice):
    with tenant_context(acme.id):
        membership = Membership.objects.get(tenant=acme, user=alice)
        return services.inbound_secret_rotate(tenant=acme, actor=membership)


def post(client, raw, secret):
    return client.post(URL, data=raw, content_type="message/rfc822", HTTP_X_INBOUND_SECRET=secret)


class TestParse:
    def test_plain(self):
        parsed = parse_email(mime("plain.eml"))
        assert (parsed.from_email, parsed.from_name) == ("jane@example.test", "Jane Doe")
        assert parsed.message_id == "<plain-1@mail.example.test>"
        assert "still has not arrived" in parsed.text and not parsed.is_auto

    def test_multipart_alternative_quoted_printable(self):
        parsed = parse_email(mime("multipart_qp.eml"))
        assert parsed.subject == "Cargo duplicado — tarjeta"
        assert parsed.from_name == "José Pérez"
        assert "me cobraron dos veces el café de ayer. ¿Pueden devolver el segundo cargo?" in parsed.text
        assert "<script>" not in parsed.html and "café" in parsed.html

    def test_attachment(self):
        parsed = parse_email(mime("attachment.eml"))
        [attachment] = parsed.attachments
        assert (attachment.filename, attachment.content_type) == ("statement.csv", "text/csv")
        assert attachment.data.startswith(b"date,amount\n")

    @pytest.mark.parametrize(("name", "subject", "text"), [
        ("latin1.eml", "Problème de carte", "ma carte est bloquée depuis hier"),
        ("koi8r.eml", "Карта", "моя карта не работает"),
    ])
    def test_non_utf8_charsets(self, name, subject, text):
        parsed = parse_email(mime(name))
        assert parsed.subject == subject and text in parsed.text

    def test_chinese_subject_name_and_rfc2231_attachment_name(self):
        parsed = parse_email(mime("chinese_utf8.eml"))
        assert parsed.subject == "发票问题：快递三天了还没到 📦"
        assert parsed.from_name == "张三"
        assert parsed.text == "你好，我的快递三天了还没到，发票见附件。"
        assert [a.filename for a in parsed.attachments] == ["发票.pdf"]

    def test_gbk_labelled_gb2312_is_read_as_gb18030(self):
        # Chinese clients label GBK "gb2312"; 發, 關, 堃 are not in GB2312 and came out as U+FFFD before.
        parsed = parse_email(mime("chinese_gbk.eml"))
        assert parsed.subject == "關於發票的問題"
        assert parsed.from_name == "李堃"
        assert parsed.text == "您好，發票抬頭寫錯了，請幫忙重開。李堃"
        assert [a.filename for a in parsed.attachments] == ["發票.pdf", "截图.png"]

    def test_raw_8bit_gbk_headers_and_filename(self):
        raw = (b"From: a@example.cn\nSubject: " + "發票".encode("gbk") + b"\nMIME-Version: 1.0\n"
               b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n"
               + "好".encode() + b"\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; "
               b"filename=\"" + "发票.pdf".encode("gbk") + b"\"\n\nJVBERi0=\n--b--\n")
        parsed = parse_email(raw)
        assert (parsed.subject, parsed.text) == ("發票", "好")
        assert [a.filename for a in parsed.attachments] == ["发票.pdf"]

    def test_html_only_mail_becomes_text_and_safe_html(self):
        parsed = parse_email(mime("html_only.eml"))
        assert "My transfer is still pending." in parsed.text and "£200" in parsed.text
        assert "color: red" not in parsed.text
        assert "onerror" not in parsed.html and "javascript:" not in parsed.html
        assert "<b>still pending</b>" in parsed.html

    @pytest.mark.parametrize("name", ["auto_reply.eml", "bounce.eml"])
    def test_machine_mail_is_recognised(self, name):
        assert parse_email(mime(name).replace(b"{IN_REPLY_TO}", b"<x@y>")).is_auto

    @pytest.mark.parametrize("raw", [b"", b"   ", b"this is not an email at all\n"])
    def test_malformed_mail_is_a_field_error(self, raw):
        with pytest.raises(ValidationError) as exc:
            parse_email(raw)
        assert "raw" in exc.value.message_dict


class TestWebhook:
    def test_it_needs_the_tenants_secret(self, client, secret):
        assert post(client, mime("plain.eml"), "wrong").status_code == 403
        assert post(client, mime("plain.eml"), "").status_code == 403

    def test_another_tenants_secret_does_not_work(self, client, secret, globex, carol):
        with tenant_context(globex.id):
            theirs = services.inbound_secret_rotate(tenant=globex, actor=Membership.objects.get(user=carol))
        assert post(client, mime("plain.eml"), theirs).status_code == 403

    def test_malformed_payload_is_a_400_with_a_field_message(self, client, secret):
        response = post(client, mime("malformed.eml"), secret)
        assert response.status_code == 400
        assert "raw" in response.json()["errors"]

    def test_mail_becomes_a_ticket_once(self, client, acme, secret):
        response = post(client, mime("plain.eml"), secret)
        assert response.status_code == 201 and response.json()["outcome"] == "created"
        again = post(client, mime("plain.eml"), secret)
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
        with tenant_context(acme.id):
            ticket = Ticket.objects.get()
            assert (ticket.channel, ticket.subject, ticket.requester.email) == (
                "email", "My card has not arrived", "jane@example.test")

    def test_nul_anywhere_in_a_mail_is_dropped_and_the_mail_kept(self, client, acme, secret):
        # Raw, quoted-printable (=00) and base64 (AA==) NULs: PostgreSQL text cannot hold any of them.
        raw = (b"From: =?utf-8?q?Ann=00?= <ann@example.test>\r\nSubject: =?utf-8?b?Q2FyZAA=?= lost\x00\r\n"
               b"Message-ID: <nul-1@example.test>\r\nIn-Reply-To: <\x00x@example.test>\r\n"
               b"Content-Type: multipart/mixed; boundary=x\r\n\r\n"
               b"--x\r\nContent-Type: text/plain\r\n\r\nMy card\x00 is gone\r\n"
               b"--x\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"a\x00.csv\"\r\n\r\n"
               b"1,2\r\n--x--\r\n")
        response = post(client, raw, secret)
        assert response.status_code == 201, response.content
        with tenant_context(acme.id):
            ticket = Ticket.objects.get()
            message = Message.objects.get()
            assert (ticket.subject, ticket.requester.name) == ("Card lost", "Ann")
            assert message.body == "My card is gone"
            assert message.attachments.get().filename == "a.csv"

    def test_an_encoded_line_break_in_the_subject_or_name_is_stored_as_a_space(self, client, acme, secret):
        # An encoded-word decodes to any text, CR/LF included; stored as is, it would break every reply's Subject.
        subject = base64.b64encode(b"Card lost\r\nBcc: all@example.test").decode()
        name = base64.b64encode(b"Jane\r\nDoe").decode()
        raw = (f"From: =?utf-8?b?{name}?= <jane@example.test>\r\nSubject: =?utf-8?b?{subject}?=\r\n"
               "Message-ID: <crlf-1@example.test>\r\nContent-Type: text/plain\r\n\r\nWhere is it?\r\n").encode()
        assert post(client, raw, secret).status_code == 201
        with tenant_context(acme.id):
            ticket = Ticket.objects.select_related("requester").get()
        assert (ticket.subject, ticket.requester.name) == ("Card lost Bcc: all@example.test", "Jane Doe")

    def test_attachments_are_kept_and_oversized_ones_dropped_with_a_note(self, client, acme, secret, settings):
        assert post(client, mime("attachment.eml"), secret).status_code == 201
        with tenant_context(acme.id):
            assert Message.objects.get().attachments.get().filename == "statement.csv"
        settings.MAX_ATTACHMENT_BYTES = 10
        raw = mime("attachment.eml").replace(b"att-1@", b"att-2@")
        assert post(client, raw, secret).status_code == 201
        with tenant_context(acme.id):
            note = Message.objects.get(author_type="system")
            assert "statement.csv" in note.body and note.kind == "note"


@pytest.fixture
def emailed_ticket(acme, alice, eager_tasks):
    with tenant_context(acme.id):
        result = services.ingest_email(tenant=acme, raw=mime("plain.eml"))
        return result.ticket


class TestThreading:
    def test_agent_reply_goes_out_threaded_and_the_answer_lands_on_the_same_ticket(
        self, acme, alice, emailed_ticket, django_capture_on_commit_callbacks,
    ):
        with tenant_context(acme.id), django_capture_on_commit_callbacks(execute=True):
            reply = services.ticket_reply(tenant=acme, ticket=emailed_ticket, author=alice,
                                          body="A new card is on its way.")
        [sent] = [m for m in mail.outbox if m.to == ["jane@example.test"]]
        message = sent.message()
        assert message["In-Reply-To"] == "<plain-1@mail.example.test>"
        assert "<plain-1@mail.example.test>" in message["References"]
        assert message["Message-ID"] == reply.message_id
        assert message["Subject"] == f"Re: My card has not arrived [#{emailed_ticket.number}]"
        assert message["From"] == '"Acme Inc." <acme@helpdesk.localhost>'
        # The real MIME of our reply parses back, and the customer's answer to it threads by header.
        assert parse_email(message.as_bytes()).message_id == reply.message_id
        answer = (
            "From: Jane Doe <jane@example.test>\nTo: acme@helpdesk.localhost\n"
            f"Subject: Re: My card has not arrived\nMessage-ID: <answer-1@mail.example.test>\n"
            f"In-Reply-To: {reply.message_id}\nReferences: <plain-1@mail.example.test> {reply.message_id}\n"
            "Content-Type: text/plain; charset=utf-8\n\nThanks, it arrived!\n\n"
            "On Tue, Nov 24, 2026 Acme wrote:\n> A new card is on its way.\n"
        ).encode()
        with tenant_context(acme.id):
            result = services.ingest_email(tenant=acme, raw=answer)
            assert result.outcome == "threaded" and result.ticket.id == emailed_ticket.id
            assert result.message.body == "Thanks, it arrived!"
            assert Ticket.objects.count() == 1

    def test_chinese_subject_and_attachment_name_survive_the_round_trip(
        self, acme, alice, eager_tasks, django_capture_on_commit_callbacks,
    ):
        with tenant_context(acme.id):
            ticket = services.ingest_email(tenant=acme, raw=mime("chinese_utf8.eml")).ticket
            assert ticket.subject == "发票问题：快递三天了还没到 📦"
            assert list(Attachment.objects.values_list("filename", flat=True)) == ["发票.pdf"]
            with django_capture_on_commit_callbacks(execute=True):
                services.ticket_reply(tenant=acme, ticket=ticket, author=alice, body="已补开发票，请查收。",
                                      attachments=[AttachmentIn("增值税发票 2026年.pdf", "application/pdf", b"%PDF")])
        [sent] = [m for m in mail.outbox if m.to == ["zhangsan@example.cn"]]
        raw = sent.message().as_bytes()
        # Headers as encoded words (RFC 2047) and the file name as an RFC 2231 parameter, never raw 8-bit.
        assert raw.split(b"\n\n", 1)[0].isascii() and b"=?utf-8?b?" in raw
        assert b"filename*=utf-8''%E5%A2%9E%E5%80%BC%E7%A8%8E" in raw
        back = BytesParser(policy=policy.default).parsebytes(raw)
        # Django folds a long encoded subject onto the next line ("Subject: \n =?utf-8?b?...?="); the parser
        # keeps the fold's space, which mail clients (and parse_email) strip.
        assert back["Subject"].strip() == f"Re: 发票问题：快递三天了还没到 📦 [#{ticket.number}]"
        [attachment] = back.iter_attachments()
        assert attachment.get_filename() == "增值税发票 2026年.pdf"
        assert attachment.get_content() == b"%PDF"
        assert "已补开发票，请查收。" in back.get_body(preferencelist=("plain",)).get_content()
        parsed = parse_email(raw)  # and our own parser reads it the same
        assert parsed.subject == back["Subject"].strip()
        assert [a.filename for a in parsed.attachments] == ["增值税发票 2026年.pdf"]

    def test_sent_mail_is_marked_once(self, acme, alice, emailed_ticket, django_capture_on_commit_callbacks):
        from tickets.tasks import message_send_email

        with tenant_context(acme.id), django_capture_on_commit_callbacks(execute=True):
            reply = services.ticket_reply(tenant=acme, ticket=emailed_ticket, author=alice, body="Hi")
        count = len(mail.outbox)
        message_send_email.delay(acme.id, reply.id)  # a redelivered task
        assert len(mail.outbox) == count

    def test_subject_token_threads_only_for_the_requester(self, acme, emailed_ticket):
        token = f"[#{emailed_ticket.number}]".encode()
        same = b"From: jane@example.test\nSubject: Re: card " + token + b"\nMessage-ID: <t1@x>\n\nStill waiting"
        stranger = b"From: eve@evil.test\nSubject: Re: card " + token + b"\nMessage-ID: <t2@x>\n\nLet me in"
        with tenant_context(acme.id):
            assert services.ingest_email(tenant=acme, raw=same).ticket.id == emailed_ticket.id
            other = services.ingest_email(tenant=acme, raw=stranger)
            assert other.outcome == "created" and other.ticket.id != emailed_ticket.id

    def test_auto_replies_are_recorded_and_never_answered(self, acme, alice, emailed_ticket,
                                                          django_capture_on_commit_callbacks):
        with tenant_context(acme.id), django_capture_on_commit_callbacks(execute=True):
            reply = services.ticket_reply(tenant=acme, ticket=emailed_ticket, author=alice, body="Hi")
        sent = len(mail.outbox)
        raw = mime("auto_reply.eml").replace(b"{IN_REPLY_TO}", reply.message_id.encode())
        with tenant_context(acme.id), django_capture_on_commit_callbacks(execute=True):
            result = services.ingest_email(tenant=acme, raw=raw)
            assert result.outcome == "auto_reply" and result.ticket.id == emailed_ticket.id
            assert result.message.kind == "note" and result.message.author_type == "system"
            bounce = services.ingest_email(tenant=acme, raw=mime("bounce.eml"))
            assert bounce.outcome == "ignored"
            assert Ticket.objects.count() == 1
            ticket = Ticket.objects.get()
            assert ticket.status == "open"  # not reopened or otherwise touched by the auto-reply
        assert len(mail.outbox) == sent

    def test_mail_from_our_own_address_is_a_loop(self, acme):
        raw = b"From: acme@helpdesk.localhost\nSubject: hi\nMessage-ID: <loop@x>\n\nloop"
        with tenant_context(acme.id):
            assert services.ingest_email(tenant=acme, raw=raw).outcome == "ignored"

    def test_bot_replies_are_marked_auto_submitted(self, acme, emailed_ticket, django_capture_on_commit_callbacks):
        with tenant_context(acme.id), django_capture_on_commit_callbacks(execute=True):
            services.message_post_bot_reply(tenant=acme, ticket=emailed_ticket, body="Here is how to track a card.",
                                            citations=[{"article_id": 1, "title": "Cards"}])
        message = mail.outbox[-1].message()
        assert message["Auto-Submitted"] == "auto-replied"
        assert message["In-Reply-To"] == "<plain-1@mail.example.test>"


def test_imap_polling_ingests_unseen_mail_and_marks_it_seen(acme, monkeypatch, public_dns):
    from tickets.mail import imap

    server = FakeImapServer({"1": mime("plain.eml"), "2": mime("malformed.eml")}).install(monkeypatch)
    acme.settings = {"imap_host": "imap.example.test", "imap_user": "support",
                     "imap_password_encrypted": secret_encrypt("pw")}
    with tenant_context(acme.id):
        assert imap.poll_mailbox(tenant=acme) == 2
        assert imap.poll_mailbox(tenant=acme) == 2  # re-polled before the flags stuck: still one ticket
        assert Ticket.objects.get().subject == "My card has not arrived"
    assert server.logins == [("support", "pw")] * 2 and server.selected == ['"INBOX"'] * 2
    assert ("1", "+FLAGS", "\\Seen") in server.stored and ("2", "+FLAGS", "\\Seen") in server.stored


def test_a_configured_mailbox_is_polled_with_its_decrypted_password(acme, alice, monkeypatch, public_dns):
    from tickets.mail import imap

    server = FakeImapServer({"1": mime("plain.eml")}, user="support@acme.example",
                            password="correct-horse-battery-9876").install(monkeypatch)
    with tenant_context(acme.id):
        services.mailbox_configure(tenant=acme, actor=Membership.objects.get(tenant=acme, user=alice),
                                   host="IMAP.Acme.Example", port=None, user="support@acme.example",
                                   password="correct-horse-battery-9876", folder="Support tickets")
        acme.refresh_from_db()
        assert imap.poll_mailbox(tenant=acme) == 1
    assert [(o["host"], o["port"]) for o in server.opened] == [("imap.acme.example", 993)]
    assert server.logins == [("support@acme.example", "correct-horse-battery-9876")]
    assert server.selected == ['"Support tickets"']
