from __future__ import annotations

import pytest

from chat import selectors, services
from chat.models import ChatSettings, Conversation, Status
from tenants.rls import tenant_context
from tests.factories import ChatSettingsFactory, ConversationFactory

pytestmark = pytest.mark.django_db


class TestHostedPage:
    def test_the_page_is_branded_and_framable_only_by_allowed_sites(self, client, acme):
        ChatSettingsFactory(tenant=acme, allowed_origins="https://shop.acme.test")
        response = client.get("/c/acme/")
        assert response.status_code == 200
        assert b"Acme Inc." in response.content
        assert response["Content-Security-Policy"] == "frame-ancestors 'self' https://shop.acme.test"
        assert "X-Frame-Options" not in response

    def test_an_unknown_help_desk_is_a_404(self, client):
        assert client.get("/c/nope/").status_code == 404

    def test_the_prechat_form_is_validated(self, client, acme):
        response = client.post("/c/acme/start/", {"name": "", "email": "bad"})
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"email"} or "email" in response.json()["errors"]
        response = client.post("/c/acme/start/", {"name": "", "email": ""})
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"name", "email"}

    def test_starting_a_chat_returns_a_token_for_this_tenant(self, client, acme, globex):
        response = client.post("/c/acme/start/", {"name": "Ann", "email": "ann@example.test"})
        assert response.status_code == 201
        token = response.json()["token"]
        with tenant_context(acme.id):
            visitor = services.visitor_from_token(tenant=acme, token=token)
            assert visitor is not None and visitor.email == "ann@example.test"
            assert Conversation.objects.get().status == Status.BOT
        with tenant_context(globex.id):
            assert services.visitor_from_token(tenant=globex, token=token) is None

    def test_without_the_prechat_form_no_fields_are_needed(self, client, acme):
        ChatSettingsFactory(tenant=acme, prechat_form=False)
        assert client.post("/c/acme/start/", {}).status_code == 201

    def test_a_site_not_allowed_cannot_start_chats(self, client, acme):
        ChatSettingsFactory(tenant=acme, allowed_origins="https://shop.acme.test")
        data = {"name": "Ann", "email": "ann@example.test"}
        assert client.post("/c/acme/start/", data, HTTP_ORIGIN="https://evil.test").status_code == 403
        assert client.post("/c/acme/start/", data, HTTP_ORIGIN="https://shop.acme.test").status_code == 201

    def test_the_widget_script_points_at_the_tenants_page(self, client, acme):
        response = client.get("/c/acme/widget.js")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/javascript")
        assert b'"/c/" + slug + "/?embed=1"' in response.content and b'slug = "acme"' in response.content


class TestConsole:
    def test_an_agent_sees_waiting_chats_of_its_tenant_only(self, client, acme, globex, bob,
                                                            django_assert_max_num_queries):
        ours = ConversationFactory(tenant=acme, status=Status.WAITING, visitor__name="Ours Visitor")
        ConversationFactory(tenant=globex, status=Status.WAITING, visitor__name="Their Visitor")
        client.force_login(bob)
        with django_assert_max_num_queries(14):
            response = client.get("/t/acme/chat/")
        assert response.status_code == 200
        assert b"Ours Visitor" in response.content and b"Their Visitor" not in response.content
        assert list(response.context["waiting"]) == [ours]

    def test_queries_do_not_grow_with_the_queue(self, client, acme, bob, django_assert_max_num_queries):
        for _ in range(10):
            ConversationFactory(tenant=acme, status=Status.WAITING)
        client.force_login(bob)
        with django_assert_max_num_queries(14):
            assert client.get("/t/acme/chat/").status_code == 200

    def test_strangers_and_anonymous_users_are_kept_out(self, client, acme, carol):
        assert client.get("/t/acme/chat/").status_code == 302
        client.force_login(carol)
        assert client.get("/t/acme/chat/").status_code == 404

    def test_the_nav_links_to_the_console(self, client, acme, bob):
        client.force_login(bob)
        assert b'href="/t/acme/chat/"' in client.get("/t/acme/").content


class TestSettingsPage:
    def test_agents_cannot_change_chat_settings(self, client, acme, bob):
        client.force_login(bob)
        assert client.get("/t/acme/chat/settings/").status_code == 403

    def test_an_admin_saves_origins_and_the_prechat_switch(self, client, acme, alice):
        client.force_login(alice)
        assert client.get("/t/acme/chat/settings/").status_code == 200
        response = client.post("/t/acme/chat/settings/", {
            "allowed_origins": "https://shop.acme.test/\nhttp://localhost:8000", "welcome": "Hello!",
            "visitor_messages_per_minute": 20, "tenant_messages_per_minute": 1000,
        })
        assert response.status_code == 302
        with tenant_context(acme.id):
            saved = selectors.chat_settings_get(tenant=acme)
            assert saved.origins == ["https://shop.acme.test", "http://localhost:8000"]
            assert saved.prechat_form is False

    def test_a_bad_origin_is_a_field_error(self, client, acme, alice):
        client.force_login(alice)
        response = client.post("/t/acme/chat/settings/", {
            "allowed_origins": "shop.acme.test/path", "prechat_form": "on", "welcome": "",
            "visitor_messages_per_minute": 20, "tenant_messages_per_minute": 1000,
        })
        assert response.status_code == 400
        assert response.context["form"].errors["allowed_origins"]
        with tenant_context(acme.id):
            assert not ChatSettings.objects.exists()
