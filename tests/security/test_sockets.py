"""The agent's sockets: a site the agent visits opens them with the agent's cookie (cross-site WebSocket hijacking),
and a member who was removed keeps an already-open socket and reads on."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from chat.consumers import agent as agent_consumer
from helpdesk.asgi import application
from tenants import services as tenant_services
from tenants.models import Membership
from tenants.rls import tenant_context

pytestmark = pytest.mark.django_db(transaction=True)

PATHS = ["/ws/t/acme/chat/", "/ws/t/acme/events/"]


async def _open(client, user, path, origin=b"http://testserver") -> tuple[WebsocketCommunicator, bool, int | None]:
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(application, path, headers=[
        (b"cookie", cookie), (b"origin", origin), (b"host", b"testserver")])
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("origin", [b"https://evil.example", b"http://testserver.evil.example", b"null"])
async def test_another_site_cannot_open_an_agents_socket_with_their_cookie(client, bob, path, origin) -> None:
    communicator, connected, code = await _open(client, bob, path, origin)
    assert not connected and code == 4404
    await communicator.disconnect()


@pytest.mark.parametrize("path", PATHS)
async def test_the_sites_own_pages_still_open_it(client, bob, path) -> None:
    communicator, connected, _ = await _open(client, bob, path)
    assert connected and (await communicator.receive_json_from(timeout=3))["type"] == "hello"
    await communicator.disconnect()


def _remove(acme, alice, bob) -> None:
    with tenant_context(acme.id):
        owner = Membership.objects.get(tenant=acme, user=alice)
        tenant_services.member_remove(tenant=acme, actor=owner, membership=Membership.objects.get(tenant=acme,
                                                                                                  user=bob))


@pytest.mark.parametrize("path", PATHS)
async def test_removing_a_member_closes_their_open_sockets(client, acme, alice, bob, path) -> None:
    communicator, connected, _ = await _open(client, bob, path)
    assert connected
    await communicator.receive_json_from(timeout=3)  # hello
    await sync_to_async(_remove)(acme, alice, bob)
    while True:  # presence or queue updates may come first
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4403


async def test_a_removed_member_whose_close_was_lost_is_refused_at_the_next_frame(client, acme, bob,
                                                                                monkeypatch) -> None:
    monkeypatch.setattr(agent_consumer, "MEMBER_RECHECK_S", 0.0)
    communicator, connected, _ = await _open(client, bob, "/ws/t/acme/chat/")
    assert connected
    await communicator.receive_json_from(timeout=3)  # hello

    def delete_quietly() -> None:  # no broadcast: as if Redis had lost it
        with tenant_context(acme.id):
            Membership.objects.filter(tenant=acme, user=bob).delete()

    await sync_to_async(delete_quietly)()
    await communicator.send_json_to({"type": "watch", "conversation": 1})
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
        assert '"conversation"' not in output.get("text", "")
    assert output["code"] == 4403
