"""Agent workspace and customer portal pages: wiring, status codes, tenant isolation, query counts."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.signing import TimestampSigner

from tenants.rls import tenant_context
from tests.factories import MacroFactory, TeamFactory, UserFactory
from tickets import portal, selectors, services
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db
T = "/t/acme/tickets"


def _ticket(tenant, **kwargs):
    data = {"subject": "Card declined", "body": "My card was declined.", "channel": "web",
            "requester_email": "kim@example.test", "requester_name": "Kim"}
    data.update(kwargs)
    with tenant_context(tenant.id):
        return services.ticket_create(tenant=tenant, **data)


@pytest.fixture
def agent(client, alice):
    client.force_login(alice)
    return client


class TestQueue:
    def test_it_lists_own_tenants_tickets_only(self, agent, acme, globex):
        _ticket(acme, subject="Acme problem")
        _ticket(globex, subject="Globex secret")
        response = agent.get(f"{T}/")
        assert response.status_code == 200
        assert b"Acme problem" in response.content and b"Globex secret" not in response.content

    def test_filters_search_and_views(self, agent, acme, alice):
        mine = _ticket(acme, subject="Refund wanted", body="money back")
        with tenant_context(acme.id):
            services.ticket_assign(tenant=acme, ticket=mine, assignee_id=alice.id, actor=alice)
        _ticket(acme, subject="Lost card", priority="urgent")
        assert b"Lost card" not in agent.get(f"{T}/?view=mine").content
        assert b"Refund wanted" in agent.get(f"{T}/?view=mine").content
        page = agent.get(f"{T}/?q=refund").content
        assert b"Refund wanted" in page and b"Lost card" not in page
        page = agent.get(f"{T}/?priority=urgent").content
        assert b"Lost card" in page and b"Refund wanted" not in page

    def test_breaching_view(self, agent, acme):
        from django.utils import timezone

        late = _ticket(acme, subject="Late one")
        _ticket(acme, subject="Fine one")
        with tenant_context(acme.id):
            Ticket.objects.filter(id=late.id).update(first_response_breached_at=timezone.now())
        page = agent.get(f"{T}/?view=breaching").content
        assert b"Late one" in page and b"Fine one" not in page

    def test_query_count_does_not_depend_on_the_number_of_rows(self, agent, acme, django_assert_max_num_queries):
        _ticket(acme)
        with django_assert_max_num_queries(15) as few:
            agent.get(f"{T}/")
        for i in range(10):
            _ticket(acme, requester_email=f"c{i}@example.test")
        with django_assert_max_num_queries(15) as many:
            agent.get(f"{T}/")
        assert len(few.captured_queries) == len(many.captured_queries)

    def test_bulk_actions(self, agent, acme, alice, globex):
        a, b = _ticket(acme), _ticket(acme)
        theirs = _ticket(globex)
        response = agent.post(f"{T}/bulk/", {"action": "assign_me", "ids": [a.id, b.id, theirs.id]})
        assert response.status_code == 302
        with tenant_context(acme.id):
            assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {alice.id}
        with tenant_context(globex.id):
            assert Ticket.objects.get(id=theirs.id).assignee_id is None
        agent.post(f"{T}/bulk/", {"action": "status:closed", "ids": [a.id]})
        agent.post(f"{T}/bulk/", {"action": "status:open", "ids": [a.id]})  # not allowed: reported, not a 500
        with tenant_context(acme.id):
            assert Ticket.objects.get(id=a.id).status == "closed"

    @pytest.mark.parametrize("query", ["page=%C2%B2", "assignee=%C2%B2", "team=%C2%B2", "q=%23%C2%B2",
                                       "q=a%00b", "tag=a%00b", "channel=a%00b"])
    def test_hostile_query_parameters_are_ignored_not_a_500(self, agent, acme, query):
        _ticket(acme, subject="Still listed")
        response = agent.get(f"{T}/?{query}")
        assert response.status_code == 200

    def test_bad_bulk_input_is_not_a_500(self, agent, acme):
        assert agent.post(f"{T}/bulk/", {"action": "explode", "ids": ["x"]}).status_code == 302


class TestTicketPage:
    def test_it_shows_thread_and_other_tickets(self, agent, acme):
        first = _ticket(acme, subject="First problem")
        second = _ticket(acme, subject="Second problem")
        page = agent.get(f"{T}/{second.id}/").content.decode()
        assert "My card was declined." in page and "First problem" in page
        assert f"/ws/t/acme/tickets/{second.id}/" in page
        assert first.requester_id == second.requester_id

    def test_other_tenants_ticket_is_404(self, agent, globex):
        theirs = _ticket(globex)
        assert agent.get(f"{T}/{theirs.id}/").status_code == 404
        assert agent.post(f"{T}/{theirs.id}/reply/", {"body": "hi", "kind": "reply"}).status_code == 404

    def test_reply_note_and_validation(self, agent, acme, mailoutbox):
        ticket = _ticket(acme)
        assert agent.post(f"{T}/{ticket.id}/reply/", {"body": "On it", "kind": "reply"}).status_code == 302
        assert agent.post(f"{T}/{ticket.id}/reply/", {"body": "psst", "kind": "note"}).status_code == 302
        response = agent.post(f"{T}/{ticket.id}/reply/", {"body": "", "kind": "reply"})
        assert response.status_code == 400 and b"Write a message" in response.content
        with tenant_context(acme.id):
            assert list(Message.objects.filter(ticket=ticket).values_list("kind", "author_type").order_by("id")) == [
                ("reply", "customer"), ("reply", "agent"), ("note", "agent")]

    def test_an_upload_with_control_characters_in_its_name_and_type_is_stored_clean(self, agent, acme):
        # Hand-written multipart: a browser-like client can send NUL or CR in the part's headers.
        ticket = _ticket(acme)
        body = (b'--B\r\nContent-Disposition: form-data; name="body"\r\n\r\nSee file\r\n'
                b'--B\r\nContent-Disposition: form-data; name="kind"\r\n\r\nreply\r\n'
                b'--B\r\nContent-Disposition: form-data; name="attachment"; filename="bill\x01.txt"\r\n'
                b"Content-Type: text/plain\x00evil\r\n\r\npaid\r\n--B--\r\n")
        response = agent.post(f"{T}/{ticket.id}/reply/", body, content_type="multipart/form-data; boundary=B")
        assert response.status_code == 302
        with tenant_context(acme.id):
            attachment = Message.objects.get(ticket=ticket, author_type="agent").attachments.get()
        assert (attachment.filename, attachment.content_type, bytes(attachment.data)) == (
            "bill.txt", "application/octet-stream", b"paid")

    def test_user_html_is_sanitized_on_the_page(self, agent, acme):
        ticket = _ticket(acme, body_html='<p>hello</p><script>alert("x")</script><img src=x onerror=alert(1)>')
        page = agent.get(f"{T}/{ticket.id}/").content.decode()
        assert "<p>hello</p>" in page and 'alert("x")' not in page and "onerror" not in page

    def test_macro_preview_and_apply(self, agent, acme, alice):
        ticket = _ticket(acme)
        macro = MacroFactory(tenant=acme, body="Hi {{customer_name}}", actions={"status": "pending"})
        assert agent.get(f"{T}/{ticket.id}/macros/{macro.id}/").json()["body"] == "Hi Kim"
        response = agent.post(f"{T}/{ticket.id}/reply/", {"body": "Hi Kim, edited", "kind": "reply",
                                                          "macro": macro.id})
        assert response.status_code == 302
        with tenant_context(acme.id):
            ticket.refresh_from_db()
            assert ticket.status == "pending"
            assert Message.objects.filter(ticket=ticket, author_type="agent").get().body == "Hi Kim, edited"

    def test_update_fields(self, agent, acme, alice):
        ticket = _ticket(acme)
        team = TeamFactory(tenant=acme)
        response = agent.post(f"{T}/{ticket.id}/update/", {"status": "open", "priority": "high",
                                                           "assignee": alice.id, "team": team.id, "tags": "a, B"})
        assert response.status_code == 302
        with tenant_context(acme.id):
            ticket.refresh_from_db()
        assert (ticket.status, ticket.priority, ticket.assignee_id, ticket.team_id, ticket.tags) == (
            "open", "high", alice.id, team.id, ["a", "b"])
        assert agent.post(f"{T}/{ticket.id}/update/", {"status": "nope", "priority": "high"}).status_code == 400

    def test_attachment_download_is_forced(self, agent, acme, globex):
        ticket = _ticket(acme, attachments=[services.AttachmentIn("x.html", "text/html", b"<script>1</script>")])
        with tenant_context(acme.id):
            attachment = Message.objects.get(ticket=ticket).attachments.get()
        response = agent.get(f"{T}/attachments/{attachment.id}/")
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == "application/octet-stream"
        theirs = _ticket(globex, attachments=[services.AttachmentIn("y.txt", "text/plain", b"y")])
        with tenant_context(globex.id):
            their_attachment = Message.objects.get(ticket=theirs).attachments.get()
        assert agent.get(f"{T}/attachments/{their_attachment.id}/").status_code == 404


class TestSetup:
    def test_email_settings_show_the_address_and_secret_once(self, agent, acme):
        page = agent.get(f"{T}/setup/email/").content.decode()
        assert "acme@helpdesk.localhost" in page and "/t/acme/api/v1/inbound/email/" in page
        page = agent.post(f"{T}/setup/email/").content.decode()
        assert 'id="inbound-secret"' in page

    def test_agents_cannot_open_setup(self, client, bob):
        client.force_login(bob)
        assert client.get(f"{T}/setup/").status_code == 403

    def test_setup_creates_sla_macro_team(self, agent, acme, alice):
        sla = {f"{p}_{k}": 60 for p in ("urgent", "high", "normal", "low") for k in ("first", "resolution")}
        assert agent.post(f"{T}/setup/sla/", sla).status_code == 302
        assert agent.post(f"{T}/setup/macros/", {"name": "Thanks", "body": "Thanks!", "status": "solved"}
                          ).status_code == 302
        assert agent.post(f"{T}/setup/teams/", {"name": "Cards", "members": [alice.id]}).status_code == 302
        page = agent.get(f"{T}/setup/").content.decode()
        assert "Thanks" in page and "Cards" in page
        ticket = _ticket(acme)
        assert ticket.first_response_due_at is not None

    def test_a_team_member_id_that_is_not_a_number_is_skipped(self, agent, acme, alice):
        response = agent.post(f"{T}/setup/teams/", {"name": "Cards", "members": ["\u00b2", str(alice.id)]})
        assert response.status_code == 302
        with tenant_context(acme.id):
            team = selectors.team_list(tenant=acme).get(name="Cards")
            assert [m.user_id for m in team.members.all()] == [alice.id]

    def test_sla_business_hours_in_a_time_zone(self, agent, acme):
        sla = {f"{p}_{k}": 60 for p in ("urgent", "high", "normal", "low") for k in ("first", "resolution")}
        sla.update(business_hours="on", days=["0", "1", "2", "3", "4", "5"], opens="08:30", closes="18:00",
                   timezone="Asia/Tokyo")
        assert agent.post(f"{T}/setup/sla/", sla).status_code == 302
        with tenant_context(acme.id):
            hours = selectors.sla_policy_default(tenant=acme).business_hours
        assert hours == {"days": [0, 1, 2, 3, 4, 5], "start": "08:30", "end": "18:00", "timezone": "Asia/Tokyo"}
        page = agent.get(f"{T}/setup/").content.decode()
        assert 'value="Asia/Tokyo" selected' in page
        sla.update(opens="18:00", closes="08:30")
        page = agent.post(f"{T}/setup/sla/", sla, follow=True).content.decode()
        assert "must end after it starts" in page


def _failed_reply(tenant, ticket, author, reason="the mail server could not be reached"):
    """A reply whose mail failed for good (tickets.tasks.ReplyEmailTask.on_failure)."""
    with tenant_context(tenant.id):
        reply = services.ticket_reply(tenant=tenant, ticket=ticket, author=author, body="A new card is on its way.")
        services.message_email_failed(tenant=tenant, message_id=reply.id, reason=reason)
    return reply


class TestEmailRetry:
    def test_a_reply_not_sent_shows_why_with_a_retry_button(self, agent, acme, alice):
        ticket = _ticket(acme)
        reply = _failed_reply(acme, ticket, alice)
        page = agent.get(f"{T}/{ticket.id}/").content.decode()
        assert "Not sent: the mail server could not be reached" in page
        assert f'action="{T}/messages/{reply.id}/email-retry/"' in page and "Retry sending" in page

    def test_an_agent_sends_it_again(self, client, acme, alice, bob, mailoutbox, eager_tasks,
                                     django_capture_on_commit_callbacks):
        ticket = _ticket(acme)
        reply = _failed_reply(acme, ticket, alice)
        client.force_login(bob)  # an agent: the role that may reply may send a reply again
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{T}/messages/{reply.id}/email-retry/")
        assert response.status_code == 302 and response["Location"] == f"{T}/{ticket.id}/#m{reply.id}"
        with tenant_context(acme.id):
            sent = Message.objects.get(id=reply.id)
        assert (sent.email_status, sent.email_error) == ("sent", "") and sent.email_sent_at is not None
        assert [m.to for m in mailoutbox] == [["kim@example.test"]]
        page = client.get(f"{T}/{ticket.id}/").content.decode()
        assert "Not sent" not in page and "Retry sending" not in page and "emailed" in page

    def test_a_reply_that_did_not_fail_is_not_sent_again(self, agent, acme, alice, mailoutbox):
        ticket = _ticket(acme)
        with tenant_context(acme.id):
            reply = services.ticket_reply(tenant=acme, ticket=ticket, author=alice, body="On its way")
        response = agent.post(f"{T}/messages/{reply.id}/email-retry/", follow=True)
        assert "Only a reply that could not be sent can be sent again." in response.content.decode()
        assert mailoutbox == []

    def test_only_members_of_the_tenant_may_retry(self, client, acme, alice, globex, carol):
        ticket = _ticket(acme)
        reply = _failed_reply(acme, ticket, alice)
        theirs = _failed_reply(globex, _ticket(globex), carol)
        url = f"{T}/messages/{reply.id}/email-retry/"
        response = client.post(url)  # anonymous, or a customer signed in to the portal only
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        with tenant_context(acme.id):
            token = portal.portal_token(tenant=acme, customer=ticket.requester)
        client.get(f"/h/acme/portal/?token={token}")
        assert client.post(url).status_code == 302
        client.force_login(UserFactory(email="kim@example.test"))  # an account, but no member of acme
        assert client.post(url).status_code == 404
        client.force_login(carol)  # another tenant's owner
        assert client.post(url).status_code == 404
        assert client.post(f"/t/globex/tickets/messages/{reply.id}/email-retry/").status_code == 404
        client.force_login(alice)
        assert client.post(f"{T}/messages/{theirs.id}/email-retry/").status_code == 404
        assert client.get(url).status_code == 405
        with tenant_context(acme.id):
            assert Message.objects.get(id=reply.id).email_status == "failed"


class TestPortal:
    def test_magic_link_lists_only_the_customers_tickets(self, client, acme):
        mine = _ticket(acme, subject="Mine")
        _ticket(acme, subject="Someone else's", requester_email="other@example.test")
        with tenant_context(acme.id):
            token = portal.portal_token(tenant=acme, customer=mine.requester)
        response = client.get(f"/h/acme/portal/?token={token}")
        assert response.status_code == 302
        page = client.get("/h/acme/portal/").content.decode()
        assert "Mine" in page and "Someone else" not in page
        assert client.get(f"/h/acme/portal/{mine.id}/").status_code == 200

    def test_a_token_of_another_tenant_or_expired_does_not_sign_in(self, client, acme, globex, settings):
        ticket = _ticket(globex)
        with tenant_context(globex.id):
            token = portal.portal_token(tenant=globex, customer=ticket.requester)
        page = client.get(f"/h/acme/portal/?token={token}").content.decode()
        assert "invalid or has expired" in page
        assert client.get(f"/h/acme/portal/{ticket.id}/").status_code == 404
        forged = TimestampSigner(salt="other").sign(f"{acme.id}:1")
        assert "invalid or has expired" in client.get(f"/h/acme/portal/?token={forged}").content.decode()
        settings.PORTAL_LINK_MAX_AGE = -1
        mine = _ticket(acme)
        with tenant_context(acme.id):
            token = portal.portal_token(tenant=acme, customer=mine.requester)
        assert "invalid or has expired" in client.get(f"/h/acme/portal/?token={token}").content.decode()

    def test_customer_replies_and_rates(self, client, acme, alice):
        ticket = _ticket(acme)
        with tenant_context(acme.id):
            client.get(f"/h/acme/portal/?token={portal.portal_token(tenant=acme, customer=ticket.requester)}")
        assert client.post(f"/h/acme/portal/{ticket.id}/", {"body": "Any news?"}).status_code == 302
        with tenant_context(acme.id):
            services.ticket_set_status(tenant=acme, ticket=ticket, status="solved", actor=alice)
        assert client.post(f"/h/acme/portal/{ticket.id}/rate/", {"rating": "9"}).status_code == 400
        assert client.post(f"/h/acme/portal/{ticket.id}/rate/", {"rating": "4", "comment": "ok"}).status_code == 302
        with tenant_context(acme.id):
            ticket.refresh_from_db()
            assert ticket.csat_rating == 4
            assert Message.objects.filter(ticket=ticket, body="Any news?").exists()

    def test_web_form_creates_a_ticket(self, client, acme):
        response = client.post("/h/acme/portal/new/", {"name": "Pat", "email": "pat@example.test",
                                                        "subject": "Help", "body": "Please"})
        assert response.status_code == 200 and b"#1" in response.content
        assert client.post("/h/acme/portal/new/", {"email": "bad"}).status_code == 400
        with tenant_context(acme.id):
            assert Ticket.objects.get().channel == "web"

    def test_web_form_subject_and_name_are_stored_on_one_line(self, client, acme):
        response = client.post("/h/acme/portal/new/", {"name": "Pat\r\nBcc: x@example.test", "body": "Please",
                                                        "email": "pat@example.test",
                                                        "subject": "Help\r\nBcc: all@example.test"})
        assert response.status_code == 200
        with tenant_context(acme.id):
            ticket = Ticket.objects.select_related("requester").get()
        assert (ticket.subject, ticket.requester.name) == ("Help Bcc: all@example.test", "Pat Bcc: x@example.test")

    def test_link_request_emails_only_known_customers(self, client, acme, mailoutbox):
        _ticket(acme)
        client.post("/h/acme/portal/link/", {"email": "kim@example.test"})
        client.post("/h/acme/portal/link/", {"email": "stranger@example.test"})
        assert [m.to for m in mail.outbox] == [["kim@example.test"]]
        assert "/h/acme/portal/?token=" in mail.outbox[0].body
