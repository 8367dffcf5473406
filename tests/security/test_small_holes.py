"""Cheap holes, each with its attack: an open redirect through "next", an expired invitation that still makes an
account, and chat origins that would let any site frame the chat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chat.services import chat_settings_update
from tenants import services as tenant_services
from tenants.models import Invitation, Membership, Role, User
from tenants.rls import tenant_context
from tests.factories import ChatSettingsFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", ["//evil.example/phish", "/\\evil.example", "https://evil.example/",
                                    "javascript:alert(1)"])
def test_next_never_leads_off_the_site(client, bob, target) -> None:
    client.force_login(bob)
    response = client.post("/t/acme/tickets/bulk/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/t/acme/tickets/"


def test_next_still_returns_to_a_page_of_the_site(client, bob) -> None:
    client.force_login(bob)
    response = client.post("/t/acme/tickets/bulk/", {"next": "/t/acme/tickets/?status=open"})
    assert response["Location"] == "/t/acme/tickets/?status=open"


def test_an_expired_invitation_creates_no_account(acme, alice) -> None:
    with tenant_context(acme.id):
        admin = Membership.objects.get(tenant=acme, user=alice)
        issued = tenant_services.invitation_create(tenant=acme, actor=admin, email="late@acme.test", role=Role.AGENT)
        Invitation.objects.filter(id=issued.invitation.id).update(expires_at=timezone.now() - timedelta(minutes=1))
        with pytest.raises(ValidationError):
            tenant_services.invitation_account(tenant=acme, token=issued.token, name="Late", password="late-password")
    assert not User.objects.filter(email="late@acme.test").exists()


@pytest.mark.parametrize("origins", ["*", "https://*", "https://shop.acme.test *", "https://a.test; script-src *",
                                     "https://shop.acme.test 'unsafe-inline'", "https://a.test/path", "data:"])
def test_chat_origins_that_would_open_the_frame_to_anyone_are_refused(acme, alice, origins) -> None:
    with tenant_context(acme.id):
        admin = Membership.objects.get(tenant=acme, user=alice)
        with pytest.raises(ValidationError) as error:
            chat_settings_update(tenant=acme, actor=admin, allowed_origins=origins, prechat_form=False, welcome="",
                                 visitor_messages_per_minute=20, tenant_messages_per_minute=600)
    assert "allowed_origins" in error.value.message_dict


def test_an_origin_saved_before_validation_never_reaches_the_frame_policy(client, acme) -> None:
    with tenant_context(acme.id):
        ChatSettingsFactory(tenant=acme, allowed_origins="https://shop.acme.test\n* \nhttps://ok.acme.test:8443")
    policy = client.get("/c/acme/")["Content-Security-Policy"]
    assert policy == "frame-ancestors 'self' https://shop.acme.test https://ok.acme.test:8443"


def test_posting_a_chat_message_for_another_tenant_inside_a_tenants_transaction_fails(acme, globex) -> None:
    from django.db import DatabaseError, connection

    from tests.factories import ConversationFactory

    theirs = ConversationFactory(tenant=globex)
    with pytest.raises(DatabaseError, match="not the caller's tenant"), tenant_context(acme.id), \
            connection.cursor() as cursor:
        cursor.execute("SELECT * FROM chat_message_post(%s, %s, 'customer', NULL, false, 'hi', '[]'::jsonb, "
                       "'{}'::jsonb, 'x-1', ARRAY['bot'], NULL, false)", [globex.id, theirs.id])
