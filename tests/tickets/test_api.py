"""Every endpoint of the tickets API: happy path, tenant B's ids are 404 with A's key, field-level 400s."""

from __future__ import annotations

import base64
import json

import pytest
from rest_framework.test import APIClient

from tenants import services as tenant_services
from tenants.models import Membership
from tenants.rls import tenant_context
from tests.factories import MacroFactory, TeamFactory, WebhookDeliveryFactory, WebhookFactory
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
API = "/t/acme/api/v1"


def _key(tenant, user) -> str:
    with tenant_context(tenant.id):
        membership = Membership.objects.get(tenant=tenant, user=user)
        return tenant_services.api_key_create(tenant=tenant, actor=membership, name="test").key


@pytest.fixture
def api(acme, alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_key(acme, alice)}")
    return client


def _ticket(tenant, **kwargs):
    data = {"subject": "Card declined", "body": "My card was declined at the shop.", "channel": "web",
            "requester_email": "kim@example.test"}
    data.update(kwargs)
    with tenant_context(tenant.id):
        return services.ticket_create(tenant=tenant, **data)


@pytest.fixture
def theirs(globex, carol):
    """Globex's rows: every id here must be a 404 for acme's key."""
    ticket = _ticket(globex)
    return {
        "ticket": ticket,
        "customer": ticket.requester,
        "team": TeamFactory(tenant=globex),
        "macro": MacroFactory(tenant=globex),
        "webhook": WebhookFactory(tenant=globex),
    }


def test_no_credentials_is_401_or_403(acme):
    assert APIClient().get(f"{API}/tickets/").status_code in (401, 403)


def test_a_key_of_another_tenant_is_refused(acme, alice, globex, carol):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_key(globex, carol)}")
    assert client.get(f"{API}/tickets/").status_code == 401


def test_session_auth_works_for_members(client, acme, alice):
    _ticket(acme)
    client.force_login(alice)
    response = client.get(f"{API}/tickets/")
    assert response.status_code == 200 and len(response.json()["results"]) == 1


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/tickets/{ticket}/"),
    ("patch", "/tickets/{ticket}/"),
    ("get", "/tickets/{ticket}/messages/"),
    ("post", "/tickets/{ticket}/messages/"),
    ("post", "/tickets/{ticket}/merge/"),
    ("post", "/tickets/{ticket}/assign-round-robin/"),
    ("post", "/tickets/{ticket}/apply-macro/"),
    ("get", "/customers/{customer}/"),
    ("get", "/teams/{team}/"),
    ("get", "/macros/{macro}/"),
    ("get", "/webhooks/{webhook}/"),
    ("delete", "/webhooks/{webhook}/"),
    ("get", "/webhooks/{webhook}/deliveries/"),
])
def test_other_tenants_ids_are_404(api, theirs, method, path):
    url = API + path.format(**{k: v.id for k, v in theirs.items()})
    response = getattr(api, method)(url, {"body": "x", "target_id": 1, "macro_id": 1}, format="json")
    assert response.status_code == 404


def test_other_tenants_ids_in_bodies_are_404_or_400(api, acme, theirs):
    mine = _ticket(acme)
    assert api.post(f"{API}/tickets/{mine.id}/merge/", {"target_id": theirs["ticket"].id},
                    format="json").status_code == 404
    assert api.post(f"{API}/tickets/{mine.id}/apply-macro/", {"macro_id": theirs["macro"].id},
                    format="json").status_code == 404
    response = api.patch(f"{API}/tickets/{mine.id}/", {"team_id": theirs["team"].id}, format="json")
    assert response.status_code == 400 and "team" in response.json()["errors"]


class TestTickets:
    def test_list_is_cursor_paginated_filtered_and_searched(self, api, acme, theirs):
        for i in range(3):
            _ticket(acme, subject=f"Refund request {i}", body="Please refund me")
        _ticket(acme, subject="Card arrival", body="Where is it", priority="urgent")
        page = api.get(f"{API}/tickets/", {"page_size": 2}).json()
        assert len(page["results"]) == 2 and page["next"] and "cursor=" in page["next"]
        rest = api.get(page["next"]).json()
        assert len(rest["results"]) == 2 and rest["next"] is None
        subjects = {t["subject"] for t in api.get(f"{API}/tickets/", {"q": "refund"}).json()["results"]}
        assert subjects == {"Refund request 0", "Refund request 1", "Refund request 2"}
        urgent = api.get(f"{API}/tickets/", {"priority": "urgent"}).json()["results"]
        assert [t["subject"] for t in urgent] == ["Card arrival"]
        all_ids = {t["id"] for t in api.get(f"{API}/tickets/", {"page_size": 50}).json()["results"]}
        assert theirs["ticket"].id not in all_ids

    @pytest.mark.parametrize("query", ["assignee=%C2%B2", "team=%C2%B2", "q=%C2%B2", "q=%23%C2%B2", "q=a%00b",
                                       "tag=a%00b", "channel=a%00b", "assignee=99999999999999999999999"])
    def test_hostile_query_parameters_are_ignored_not_a_500(self, api, acme, query):
        # "²" passes str.isdigit() but int() refuses it; PostgreSQL text cannot hold NUL.
        ticket = _ticket(acme, subject="Still listed")
        response = api.get(f"{API}/tickets/?{query}")
        assert response.status_code == 200
        assert [t["id"] for t in response.json()["results"]] in ([ticket.id], [])

    def test_list_query_count_does_not_grow_with_page_size(self, api, acme, django_assert_max_num_queries):
        for _ in range(12):
            _ticket(acme)
        with django_assert_max_num_queries(10) as small:
            api.get(f"{API}/tickets/", {"page_size": 2})
        with django_assert_max_num_queries(10) as large:
            api.get(f"{API}/tickets/", {"page_size": 12})
        assert len(small.captured_queries) == len(large.captured_queries)

    def test_create(self, api, acme):
        attachment = {"filename": "a.txt", "content_type": "text/plain",
                      "content_base64": base64.b64encode(b"hello").decode()}
        response = api.post(f"{API}/tickets/", {"subject": "Locked out", "body": "I cannot log in",
                                                "requester_email": "lee@example.test", "tags": ["Login"],
                                                "attachments": [attachment]}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["channel"], body["status"], body["tags"], body["requester"]["email"]) == (
            "api", "new", ["login"], "lee@example.test")
        messages = api.get(f"{API}/tickets/{body['id']}/messages/").json()
        assert messages[0]["attachments"][0]["filename"] == "a.txt"

    @pytest.mark.parametrize(("payload", "field"), [
        ({"subject": "x", "body": "y", "requester_email": "bad"}, "requester_email"),
        ({"subject": "x", "body": "y", "requester_email": "a@b.test", "priority": "critical"}, "priority"),
        ({"subject": "x", "body": "y", "requester_email": "a@b.test", "channel": "fax"}, "channel"),
        ({"body": "y", "requester_email": "a@b.test"}, "subject"),
        ({"subject": "a\x00b", "body": "y", "requester_email": "a@b.test"}, "subject"),
    ])
    def test_create_bad_input_is_a_field_400(self, api, payload, field):
        response = api.post(f"{API}/tickets/", payload, format="json")
        assert response.status_code == 400 and field in response.json()["errors"]

    @pytest.mark.parametrize("body", ["{not json", "[" * 5000 + "]" * 5000])
    def test_a_malformed_or_deeply_nested_body_is_a_400(self, api, body):
        response = api.post(f"{API}/tickets/", body, content_type="application/json")
        assert response.status_code == 400 and "JSON parse error" in response.json()["detail"]

    @pytest.mark.parametrize(("method", "path", "payload"), [
        ("post", "/tickets/", {"subject": "x", "body": "y", "requester_email": "a@b.test", "priority": "\ud800"}),
        ("post", "/webhooks/", {"url": "https://hooks.example.test/x", "events": ["\ud800"]}),
        ("post", "/macros/", {"name": "m", "actions": {"\udfff": "x"}}),
    ])
    def test_a_lone_surrogate_escape_is_a_400_not_a_500(self, api, method, path, payload):
        # json.dumps writes the surrogate as the escape "\\ud800": valid JSON syntax, but not text.
        response = getattr(api, method)(f"{API}{path}", json.dumps(payload), content_type="application/json")
        assert response.status_code == 400
        assert "lone surrogate" in response.json()["detail"]

    def test_oversized_attachment_is_a_field_400(self, api, settings):
        settings.MAX_ATTACHMENT_BYTES = 4
        attachment = {"filename": "a.txt", "content_base64": base64.b64encode(b"hello").decode()}
        response = api.post(f"{API}/tickets/", {"subject": "x", "body": "y", "requester_email": "a@b.test",
                                                "attachments": [attachment]}, format="json")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert "attachments" in errors and "over the limit" in str(errors["attachments"])

    def test_update_status_assignee_priority_tags(self, api, acme, alice):
        ticket = _ticket(acme)
        response = api.patch(f"{API}/tickets/{ticket.id}/", {"status": "pending", "assignee_id": alice.id,
                                                             "priority": "high", "tags": ["vip"]}, format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["status"], body["assignee_id"], body["priority"], body["tags"]) == (
            "pending", alice.id, "high", ["vip"])

    def test_unknown_status_and_forbidden_transition_are_field_400s(self, api, acme):
        ticket = _ticket(acme)
        response = api.patch(f"{API}/tickets/{ticket.id}/", {"status": "archived"}, format="json")
        assert response.status_code == 400 and "status" in response.json()["errors"]
        assert api.patch(f"{API}/tickets/{ticket.id}/", {"status": "closed"}, format="json").status_code == 200
        response = api.patch(f"{API}/tickets/{ticket.id}/", {"status": "open"}, format="json")
        assert response.status_code == 400
        assert "cannot become" in response.json()["errors"]["status"][0]

    def test_a_subject_with_line_breaks_is_stored_on_one_line(self, api, acme):
        ticket = _ticket(acme)
        response = api.patch(f"{API}/tickets/{ticket.id}/", {"subject": "Card lost\r\nBcc: all@example.test"},
                             format="json")
        assert response.status_code == 200 and response.json()["subject"] == "Card lost Bcc: all@example.test"
        with tenant_context(acme.id):
            assert Ticket.objects.get(id=ticket.id).subject == "Card lost Bcc: all@example.test"

    def test_assigning_a_non_member_is_a_field_400(self, api, acme, carol):
        ticket = _ticket(acme)
        response = api.patch(f"{API}/tickets/{ticket.id}/", {"assignee_id": carol.id}, format="json")
        assert response.status_code == 400 and "assignee" in response.json()["errors"]


class TestMessages:
    def test_reply_and_note(self, api, acme):
        ticket = _ticket(acme)
        reply = api.post(f"{API}/tickets/{ticket.id}/messages/", {"body": "We are on it"}, format="json")
        note = api.post(f"{API}/tickets/{ticket.id}/messages/", {"body": "check ledger", "kind": "note"},
                        format="json")
        assert reply.status_code == 201 and note.status_code == 201
        assert (reply.json()["kind"], reply.json()["author_type"], note.json()["kind"]) == ("reply", "agent", "note")
        kinds = [m["kind"] for m in api.get(f"{API}/tickets/{ticket.id}/messages/").json()]
        assert kinds == ["reply", "reply", "note"]
        with tenant_context(acme.id):
            event = Ticket.objects.get(id=ticket.id).events.filter(kind="status.changed").get()
            assert event.actor_label.startswith("api-key:")

    def test_messages_show_the_state_of_their_mail(self, api, acme):
        ticket = _ticket(acme)
        reply = api.post(f"{API}/tickets/{ticket.id}/messages/", {"body": "We are on it"}, format="json").json()
        note = api.post(f"{API}/tickets/{ticket.id}/messages/", {"body": "psst", "kind": "note"}, format="json").json()
        assert (reply["email_status"], reply["email_error"], reply["email_sent_at"]) == ("pending", None, None)
        assert (note["email_status"], note["email_error"]) == (None, None)
        with tenant_context(acme.id):
            services.message_email_failed(tenant=acme, message_id=reply["id"], reason="the mail server was down")
        messages = {m["id"]: m for m in api.get(f"{API}/tickets/{ticket.id}/messages/").json()}
        assert (messages[reply["id"]]["email_status"], messages[reply["id"]]["email_error"]) == (
            "failed", "the mail server was down")
        first = min(messages)  # the customer's own message: not mailed by us
        assert (messages[first]["email_status"], messages[first]["email_error"]) == (None, None)

    def test_the_schema_shows_the_mail_state_read_only_and_nullable(self, client, alice):
        client.force_login(alice)
        fields = client.get("/t/acme/api/schema/?format=json").json()["components"]["schemas"]["Message"]["properties"]
        assert fields["email_status"]["nullable"] and fields["email_status"]["readOnly"]
        assert fields["email_error"]["nullable"] and fields["email_error"]["readOnly"]

    @pytest.mark.parametrize(("payload", "field"), [
        ({"body": ""}, "body"),
        ({"body": "x", "kind": "whisper"}, "kind"),
        ({"body": "x", "attachments": [{"filename": "a", "content_base64": "***"}]}, "attachments"),
    ])
    def test_bad_messages_are_field_400s(self, api, acme, payload, field):
        ticket = _ticket(acme)
        response = api.post(f"{API}/tickets/{ticket.id}/messages/", payload, format="json")
        assert response.status_code == 400 and field in response.json()["errors"]


def test_round_robin_assignment(api, acme, alice, bob, theirs):
    team = api.post(f"{API}/teams/", {"name": "Cards", "member_ids": [alice.id, bob.id]}, format="json").json()
    first, second = _ticket(acme), _ticket(acme)
    a = api.post(f"{API}/tickets/{first.id}/assign-round-robin/", {"team_id": team["id"]}, format="json").json()
    b = api.post(f"{API}/tickets/{second.id}/assign-round-robin/", {"team_id": team["id"]}, format="json").json()
    assert {a["assignee_id"], b["assignee_id"]} == {alice.id, bob.id} and a["team_id"] == team["id"]
    response = api.post(f"{API}/tickets/{first.id}/assign-round-robin/", {"team_id": theirs["team"].id},
                        format="json")
    assert response.status_code == 404
    response = api.post(f"{API}/tickets/{first.id}/assign-round-robin/", {"team_id": "x"}, format="json")
    assert response.status_code == 400 and "team_id" in response.json()["errors"]


class TestMergeAndMacros:
    def test_merge(self, api, acme):
        source, target = _ticket(acme), _ticket(acme)
        response = api.post(f"{API}/tickets/{source.id}/merge/", {"target_id": target.id}, format="json")
        assert response.status_code == 200 and response.json()["id"] == target.id
        assert api.get(f"{API}/tickets/{source.id}/").json()["merged_into_id"] == target.id
        response = api.post(f"{API}/tickets/{target.id}/merge/", {"target_id": target.id}, format="json")
        assert response.status_code == 400 and "target" in response.json()["errors"]

    def test_macros_create_list_get_apply(self, api, acme):
        response = api.post(f"{API}/macros/", {"name": "Card sent", "body": "Hi {{customer_name}}",
                                              "actions": {"status": "pending", "add_tags": ["cards"]}}, format="json")
        assert response.status_code == 201
        macro_id = response.json()["id"]
        assert [m["name"] for m in api.get(f"{API}/macros/").json()] == ["Card sent"]
        assert api.get(f"{API}/macros/{macro_id}/").json()["name"] == "Card sent"
        ticket = _ticket(acme)
        applied = api.post(f"{API}/tickets/{ticket.id}/apply-macro/", {"macro_id": macro_id}, format="json")
        assert applied.status_code == 200
        assert (applied.json()["status"], applied.json()["tags"]) == ("pending", ["cards"])

    def test_bad_macro_is_a_field_400(self, api):
        response = api.post(f"{API}/macros/", {"name": "x", "actions": {"status": "nope"}}, format="json")
        assert response.status_code == 400 and "actions" in response.json()["errors"]


class TestCustomersAndTeams:
    def test_customers(self, api, acme, theirs):
        response = api.post(f"{API}/customers/", {"email": "Ana@Example.test", "name": "Ana"}, format="json")
        assert response.status_code == 201
        customer_id = response.json()["id"]
        assert api.get(f"{API}/customers/{customer_id}/").json()["email"] == "ana@example.test"
        emails = [c["email"] for c in api.get(f"{API}/customers/").json()["results"]]
        assert emails == ["ana@example.test"]
        response = api.post(f"{API}/customers/", {"email": "nope"}, format="json")
        assert response.status_code == 400 and "email" in response.json()["errors"]

    def test_a_customer_search_with_nul_is_not_a_500(self, api, acme):
        api.post(f"{API}/customers/", {"email": "ana@example.test"}, format="json")
        response = api.get(f"{API}/customers/?q=ana%00")
        assert response.status_code == 200
        assert [c["email"] for c in response.json()["results"]] == ["ana@example.test"]

    def test_an_external_id_of_another_customer_is_a_field_400(self, api, acme):
        first = api.post(f"{API}/customers/", {"email": "ana@example.test", "external_id": "crm-1"}, format="json")
        assert first.status_code == 201
        response = api.post(f"{API}/customers/", {"email": "bo@example.test", "external_id": "crm-1"}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"]["external_id"] == ["Another customer already has this external id."]

    def test_teams(self, api, alice, bob, carol):
        response = api.post(f"{API}/teams/", {"name": "Cards", "member_ids": [alice.id, bob.id]}, format="json")
        assert response.status_code == 201 and sorted(response.json()["member_ids"]) == sorted([alice.id, bob.id])
        assert api.get(f"{API}/teams/{response.json()['id']}/").json()["name"] == "Cards"
        assert [t["name"] for t in api.get(f"{API}/teams/").json()] == ["Cards"]
        response = api.post(f"{API}/teams/", {"name": "Other", "member_ids": [carol.id]}, format="json")
        assert response.status_code == 400 and "member_ids" in response.json()["errors"]
        response = api.post(f"{API}/teams/", {"name": ""}, format="json")
        assert response.status_code == 400 and "name" in response.json()["errors"]


@pytest.mark.usefixtures("public_dns")
class TestWebhooks:
    def test_create_list_get_deliveries_delete(self, api, acme, theirs):
        response = api.post(f"{API}/webhooks/", {"url": "https://hooks.example.test/in",
                                                 "events": ["ticket.created"]}, format="json")
        assert response.status_code == 201 and len(response.json()["secret"]) == 64
        hook_id = response.json()["id"]
        assert [h["id"] for h in api.get(f"{API}/webhooks/").json()] == [hook_id]
        assert "secret" not in api.get(f"{API}/webhooks/{hook_id}/").json()  # shown once, at creation
        assert api.get(f"{API}/webhooks/{hook_id}/").json()["events"] == ["ticket.created"]
        _ticket(acme)
        deliveries = api.get(f"{API}/webhooks/{hook_id}/deliveries/").json()["results"]
        assert [d["event"] for d in deliveries] == ["ticket.created"]
        assert api.delete(f"{API}/webhooks/{hook_id}/").status_code == 204
        assert api.get(f"{API}/webhooks/{hook_id}/").status_code == 404

    @pytest.mark.parametrize(("payload", "field"), [
        ({"url": "ftp://x", "events": ["ticket.created"]}, "url"),
        ({"url": "https://x.test/", "events": ["ticket.exploded"]}, "events"),
        ({"url": "https://x.test/", "events": []}, "events"),
    ])
    def test_bad_webhooks_are_field_400s(self, api, payload, field):
        response = api.post(f"{API}/webhooks/", payload, format="json")
        assert response.status_code == 400 and field in response.json()["errors"]

    def test_deliveries_of_other_tenants_never_show(self, api, acme, globex):
        mine = WebhookFactory(tenant=acme)
        WebhookDeliveryFactory(tenant=acme, webhook=mine)
        WebhookDeliveryFactory(tenant=globex)
        assert len(api.get(f"{API}/webhooks/{mine.id}/deliveries/").json()["results"]) == 1


def test_openapi_schema_and_docs(client, alice):
    client.force_login(alice)
    schema = client.get("/t/acme/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/tickets/", "/tickets/{ticket_id}/messages/", "/customers/", "/teams/", "/macros/",
                 "/webhooks/", "/inbound/email/"):
        assert path in text
    assert client.get("/t/acme/api/docs/").status_code == 200
