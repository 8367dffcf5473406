"""Live ticket updates over WebSocket: members of the tenant only; changes by services are pushed after commit."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from helpdesk.asgi import application
from tenants.rls import tenant_context
from tickets import services


def _create(tenant):
    with tenant_context(tenant.id):
        return services.ticket_create(tenant=tenant, subject="Live", body="Hello", channel="web",
                                      requester_email="live@example.test")


async def _connect(client, user, path):
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    communicator = WebsocketCommunicator(application, path, headers=[(b"cookie", cookie.encode()),
                                                                     (b"origin", b"http://testserver"),
                                                                     (b"host", b"testserver")])
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
class TestTicketSocket:
    async def test_changes_by_someone_else_are_pushed(self, client, acme, alice, bob):
        ticket = await sync_to_async(_create)(acme)
        communicator, connected, _ = await _connect(client, alice, f"/ws/t/acme/tickets/{ticket.id}/")
        assert connected
        assert (await communicator.receive_json_from())["type"] == "hello"

        def change():
            with tenant_context(acme.id):
                services.ticket_set_status(tenant=acme, ticket=ticket, status="pending", actor=bob)
                services.ticket_note(tenant=acme, ticket=ticket, author=bob, body="FYI")

        await sync_to_async(change)()
        first = await communicator.receive_json_from(timeout=5)
        assert (first["type"], first["actor_id"], first["data"]["to"]) == ("status.changed", bob.id, "pending")
        second = await communicator.receive_json_from(timeout=5)
        assert second["type"] == "message.posted"
        await communicator.send_json_to({"type": "anything"})
        assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.send_to(text_data="not json")
        assert (await communicator.receive_json_from())["error"] == "bad_json"
        await communicator.send_json_to({"type": "anything"})  # still open
        assert (await communicator.receive_json_from())["error"] == "read_only"
        await communicator.disconnect()

    async def test_other_tenants_ticket_is_refused(self, client, acme, alice, globex):
        theirs = await sync_to_async(_create)(globex)
        _c, connected, code = await _connect(client, alice, f"/ws/t/acme/tickets/{theirs.id}/")
        assert not connected and code == 4404

    async def test_anonymous_is_refused(self, acme):
        ticket = await sync_to_async(_create)(acme)
        communicator = WebsocketCommunicator(application, f"/ws/t/acme/tickets/{ticket.id}/",
                                             headers=[(b"origin", b"http://testserver"),
                                                                     (b"host", b"testserver")])
        connected, code = await communicator.connect()
        assert not connected and code == 4404
