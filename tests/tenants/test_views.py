from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tenants import services
from tenants.models import Membership, Role, Tenant
from tenants.rls import tenant_context

pytestmark = pytest.mark.django_db


def _mailed_link(body: str) -> str:
    return re.search(r"http://\S+/signup/confirm/\S+/", body).group(0).split("://", 1)[1].split("/", 1)[1]


class TestSignup:
    def test_sign_up_mails_a_link_that_creates_the_tenant_and_signs_in(self, client):
        response = client.post("/signup/", {"company": "Hooli", "slug": "hooli", "name": "Gavin",
                                            "email": "Gavin@Hooli.test"})
        assert response.status_code == 200 and b"Check your inbox" in response.content
        assert not Tenant.objects.filter(slug="hooli").exists()
        [message] = mail.outbox
        assert message.to == ["gavin@hooli.test"]
        link = "/" + _mailed_link(message.body)
        page = client.get(link)
        assert page.status_code == 200 and b"Hooli" in page.content
        weak = client.post(link, {"name": "Gavin", "password": "password"})
        assert weak.status_code == 400 and weak.context["form"].errors["password"]
        response = client.post(link, {"name": "Gavin", "password": "middle-out-42"})
        assert response.status_code == 302 and response["Location"] == "/t/hooli/"
        assert client.get("/t/hooli/").status_code == 200
        tenant = Tenant.objects.get(slug="hooli")
        with tenant_context(tenant.id):
            assert Membership.objects.get().role == Role.OWNER
        # The link is spent once the account exists.
        client.logout()
        again = client.get(link)
        assert again.status_code == 400 and b"has been used" in again.content

    def test_a_forged_or_expired_link_is_refused(self, client, monkeypatch):
        assert client.get("/signup/confirm/not-a-token/").status_code == 400
        client.post("/signup/", {"company": "Hooli", "slug": "hooli", "email": "gavin@hooli.test"})
        link = "/" + _mailed_link(mail.outbox[0].body)
        monkeypatch.setattr(services, "SIGNUP_TTL", timedelta(seconds=-1))  # every link is past its age
        assert client.post(link, {"password": "middle-out-42"}).status_code == 400
        assert not Tenant.objects.filter(slug="hooli").exists()

    def test_a_signed_in_user_creates_another_help_desk_at_once(self, client, alice):
        client.force_login(alice)
        response = client.post("/signup/", {"company": "Acme Labs", "slug": "acme-labs"})
        assert response.status_code == 302 and response["Location"] == "/t/acme-labs/"
        tenant = Tenant.objects.get(slug="acme-labs")
        with tenant_context(tenant.id):
            assert Membership.objects.get().user == alice
        assert mail.outbox == []

    def test_a_taken_slug_is_a_field_error(self, client, acme):
        response = client.post("/signup/", {"company": "Acme 2", "slug": "acme", "email": "x@y.test"})
        assert response.status_code == 400
        assert "already taken" in response.context["form"].errors["slug"][0]

    def test_a_slug_taken_before_the_link_is_opened_is_an_error_on_the_page(self, client):
        client.post("/signup/", {"company": "Hooli", "slug": "hooli", "email": "gavin@hooli.test"})
        link = "/" + _mailed_link(mail.outbox[0].body)
        Tenant.objects.create(slug="hooli", name="Someone faster")
        response = client.post(link, {"password": "middle-out-42"})
        assert response.status_code == 400 and "already taken" in str(response.context["form"].errors)

    @pytest.mark.parametrize("email", ["not-an-email", "a@", "", "x" * 300 + "@x.test"])
    def test_an_invalid_email_is_a_field_error(self, client, email):
        response = client.post("/signup/", {"company": "C", "slug": "c1", "email": email})
        assert response.status_code == 400
        assert response.context["form"].errors["email"]
        assert not Tenant.objects.filter(slug="c1").exists()


class TestRolePages:
    @pytest.mark.parametrize("path", ["/t/acme/settings/", "/t/acme/settings/members/", "/t/acme/settings/api-keys/",
                                      "/t/acme/settings/audit/"])
    def test_agents_cannot_open_settings(self, client, bob, path):
        client.force_login(bob)
        assert client.get(path).status_code == 403

    @pytest.mark.parametrize("path", ["/t/acme/settings/", "/t/acme/settings/members/", "/t/acme/settings/api-keys/",
                                      "/t/acme/settings/audit/"])
    def test_owners_can(self, client, alice, path):
        client.force_login(alice)
        assert client.get(path).status_code == 200

    def test_an_agent_cannot_promote_itself(self, client, bob):
        client.force_login(bob)
        with tenant_context(Tenant.objects.get(slug="acme").id):
            own = Membership.objects.get(user=bob)
        assert client.post(f"/t/acme/settings/members/{own.id}/role/", {"role": "owner"}).status_code == 403
        with tenant_context(own.tenant_id):
            assert Membership.objects.get(user=bob).role == Role.AGENT

    def test_member_ids_of_another_tenant_are_404(self, client, alice, carol):
        client.force_login(alice)
        globex = Tenant.objects.get(slug="globex")
        with tenant_context(globex.id):
            theirs = Membership.objects.get(user=carol)
        assert client.post(f"/t/acme/settings/members/{theirs.id}/remove/").status_code == 404

    def test_invite_form_shows_field_errors(self, client, alice):
        client.force_login(alice)
        response = client.post("/t/acme/settings/members/", {"email": "nope", "role": "wizard"})
        assert response.status_code == 400
        assert set(response.context["invite_form"].errors) == {"email", "role"}

    def test_settings_validate_branding(self, client, alice):
        client.force_login(alice)
        response = client.post("/t/acme/settings/", {"name": "Acme", "primary_color": "red"})
        assert response.status_code == 400
        assert "hex colour" in response.context["form"].errors["primary_color"][0]
        ok = client.post("/t/acme/settings/", {"name": "Acme Ltd", "primary_color": "#112233"})
        assert ok.status_code == 302
        assert Tenant.objects.get(slug="acme").branding["primary_color"] == "#112233"


class TestHostedResolution:
    def test_a_subdomain_serves_only_its_tenant(self, client, acme, globex):
        response = client.get("/", HTTP_HOST="acme.helpdesk.localhost")
        assert response.status_code == 302 and response["Location"] == "/h/acme/"
        other = client.get("/h/globex/", HTTP_HOST="acme.helpdesk.localhost")
        assert other["Location"] == "/h/acme/"

    def test_a_custom_domain_resolves(self, client, acme):
        Tenant.objects.filter(id=acme.id).update(custom_domain="help.acme.test")
        assert client.get("/t/acme/", HTTP_HOST="help.acme.test")["Location"] == "/h/acme/"

    def test_an_unknown_public_tenant_is_404(self, client):
        assert client.get("/h/nobody/").status_code == 404


class TestOperatorCommands:
    def test_create_and_list(self, capsys):
        call_command("create_tenant", "umbrella", "--name", "Umbrella", "--owner-email", "w@umbrella.test")
        out = capsys.readouterr().out
        assert "Created tenant umbrella" in out and "password:" in out
        call_command("list_tenants")
        assert "umbrella" in capsys.readouterr().out

    def test_a_taken_slug_is_a_clear_cli_error(self, acme):
        with pytest.raises(CommandError, match="slug: This address is already taken"):
            call_command("create_tenant", "acme", "--owner-email", "x@x.test")


def test_password_reset_mails_a_working_link(client, alice, settings):
    import re

    from django.core import mail

    settings.SITE_URL = "https://help.example.com"
    assert client.post("/accounts/password_reset/", {"email": "alice@acme.test"}).status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https://help\.example\.com(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "brand-new-pass-9",
                                                         "new_password2": "brand-new-pass-9"})
    assert done.status_code == 302
    assert client.login(username="alice@acme.test", password="brand-new-pass-9")


def test_the_openapi_schema_and_docs_are_served_to_members(client, alice, carol):
    client.force_login(alice)
    schema = client.get("/t/acme/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/t/{tenant_slug}/api/v1/me/" in schema.json()["paths"]
    assert client.get("/t/acme/api/docs/").status_code == 200
    assert client.get("/t/globex/api/schema/").status_code == 401
