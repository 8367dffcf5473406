"""Agent presence across console tabs: offline only with the last tab, away until chosen otherwise, and routing
that offers chats to agents who are online and really connected."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from chat import services
from chat.services import presence
from tenants.models import Membership
from tenants.rls import tenant_context
from tests.chat.test_consumers import agent_socket, drain, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def _presence(tenant, user):
    with tenant_context(tenant.id):
        return Membership.objects.get(tenant=tenant, user=user).presence


def _waiting_chat(tenant, name="Ann"):
    with tenant_context(tenant.id):
        session = services.chat_start(tenant=tenant, name=name, email=f"{name.lower()}@example.test")
        services.handoff(tenant=tenant, conversation=session.conversation, summary="help", sources=[],
                         reason="customer_request")
        return session.conversation.id


async def test_closing_one_of_two_tabs_keeps_the_agent_online(client, acme, bob):
    first, _, _ = await agent_socket(client, bob)
    assert (await receive_until(first, "hello"))[-1]["presence"] == "online"
    second, _, _ = await agent_socket(client, bob)
    assert (await receive_until(second, "hello"))[-1]["presence"] == "online"
    await first.disconnect()
    assert await sync_to_async(_presence)(acme, bob) == "online"
    # The remaining tab still gets new chats.
    conversation_id = await sync_to_async(_waiting_chat)(acme)
    offer = (await receive_until(second, "offer"))[-1]
    assert offer["id"] == conversation_id
    await second.disconnect()
    assert await sync_to_async(_presence)(acme, bob) == "offline"


async def test_away_stays_away_across_tabs_and_reconnects_until_online_is_chosen(client, acme, bob):
    first, _, _ = await agent_socket(client, bob)
    await receive_until(first, "hello")
    second, _, _ = await agent_socket(client, bob)
    await receive_until(second, "hello")
    await first.send_json_to({"type": "presence", "presence": "away"})
    assert (await receive_until(first, "presence"))[-1]["presence"] == "away"
    assert (await receive_until(second, "presence"))[-1]["presence"] == "away"  # every tab shows it
    assert await sync_to_async(_presence)(acme, bob) == "away"

    third, _, _ = await agent_socket(client, bob)  # a new tab does not make the agent available
    assert (await receive_until(third, "hello"))[-1]["presence"] == "away"
    await sync_to_async(_waiting_chat)(acme)
    assert [f for f in await drain(third) if f["type"] == "offer"] == []
    for tab in (first, second, third):
        await tab.disconnect()
    assert await sync_to_async(_presence)(acme, bob) == "offline"

    again, _, _ = await agent_socket(client, bob)  # back after all tabs closed (a network blip): still away
    assert (await receive_until(again, "hello"))[-1]["presence"] == "away"
    await again.send_json_to({"type": "presence", "presence": "online"})
    assert (await receive_until(again, "presence"))[-1]["presence"] == "online"
    conversation_id = await sync_to_async(_waiting_chat)(acme, "Ben")
    assert (await receive_until(again, "offer"))[-1]["id"] == conversation_id
    await again.disconnect()


def _crashed_socket(tenant, user, socket_id):
    """What a web process that died leaves behind: its socket's entry, never removed, and "online"."""
    with tenant_context(tenant.id):
        membership = Membership.objects.get(tenant=tenant, user=user)
        return presence.console_opened(tenant=tenant, membership=membership, socket_id=socket_id)


async def test_a_crashed_process_does_not_keep_an_agent_online(client, acme, alice, bob, monkeypatch):
    monkeypatch.setattr(presence, "SOCKET_TTL_S", 1)
    assert await sync_to_async(_crashed_socket)(acme, alice, "dead-process!socket") == "online"
    assert await sync_to_async(_crashed_socket)(acme, bob, "dead-process!bob") == "online"
    monkeypatch.setattr(presence, "SOCKET_TTL_S", 90)
    await asyncio.sleep(1.2)  # their heartbeats stop: the entries expire

    tab, _, _ = await agent_socket(client, bob)  # bob opens a tab in a live process
    await receive_until(tab, "hello")
    await sync_to_async(_waiting_chat)(acme)
    assert (await receive_until(tab, "offer"))[-1]["type"] == "offer"
    # alice, "online" in the database with no live socket, is not offered the chat and is set offline.
    assert await sync_to_async(_presence)(acme, alice) == "offline"
    # bob's dead entry does not count: closing his one live tab takes him offline.
    await tab.disconnect()
    assert await sync_to_async(_presence)(acme, bob) == "offline"


async def test_a_heartbeat_keeps_a_socket_counted(client, acme, bob, monkeypatch):
    monkeypatch.setattr(presence, "SOCKET_TTL_S", 1)
    monkeypatch.setattr(presence, "HEARTBEAT_S", 0.3)
    tab, _, _ = await agent_socket(client, bob)
    await receive_until(tab, "hello")
    await asyncio.sleep(1.5)  # longer than the time to live: only the heartbeat keeps it
    with_tenant = sync_to_async(lambda: _connected(acme, bob))
    assert await with_tenant() is True
    await tab.disconnect()
    assert await with_tenant() is False


def _connected(tenant, user):
    with tenant_context(tenant.id):
        membership = Membership.objects.get(tenant=tenant, user=user)
        return bool(presence.connected(tenant=tenant, memberships=[membership]))


async def test_a_stalled_socket_that_lost_its_entry_comes_back_with_its_next_heartbeat(client, acme, bob,
                                                                                      monkeypatch):
    monkeypatch.setattr(presence, "SOCKET_TTL_S", 1)
    monkeypatch.setattr(presence, "HEARTBEAT_S", 3)
    loop = asyncio.get_running_loop()
    tab, _, _ = await agent_socket(client, bob)
    await receive_until(tab, "hello")
    started = loop.time()
    await asyncio.sleep(1.2)  # its entry expired before the next beat (as if the process had stalled)
    assert await sync_to_async(lambda: _connected(acme, bob))() is False
    await sync_to_async(_waiting_chat)(acme)  # routing takes it for gone
    assert await sync_to_async(_presence)(acme, bob) == "offline"
    monkeypatch.setattr(presence, "SOCKET_TTL_S", 90)  # the process runs normally again
    await asyncio.sleep(max(0.0, 4.2 - (loop.time() - started)))  # the beat finds its entry gone, opens it again
    assert await sync_to_async(lambda: _connected(acme, bob))() is True
    assert await sync_to_async(_presence)(acme, bob) == "online"
    await tab.disconnect()
    assert await sync_to_async(_presence)(acme, bob) == "offline"
