"""The chat sockets over the real ASGI app, the Redis channel layer and committed (transactional) data."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from chat import services
from chat.models import ChatMessage, ChatSettings
from helpdesk.asgi import application
from tenants.rls import tenant_context
from tests.factories import ChatSettingsFactory

pytestmark = pytest.mark.django_db(transaction=True)

SAME_SITE = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


def _start(tenant, name="Ann"):
    with tenant_context(tenant.id):
        return services.chat_start(tenant=tenant, name=name, email=f"{name.lower()}@example.test")


async def visitor_socket(tenant_slug, token, after=None, headers=SAME_SITE):
    path = f"/ws/c/{tenant_slug}/visitor/?token={token}" + (f"&after={after}" if after is not None else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def agent_socket(client, user, tenant_slug="acme"):
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(application, f"/ws/t/{tenant_slug}/chat/",
                                         headers=[(b"cookie", cookie), *SAME_SITE])
    connected, code = await communicator.connect()
    return communicator, connected, code


async def open_pair(client, tenant, agent_user):
    """A started chat with its customer's socket and an agent's console socket, both past their hello."""
    session = await sync_to_async(_start)(tenant)
    customer, connected, _ = await visitor_socket(tenant.slug, session.token)
    assert connected
    await receive_until(customer, "hello")
    agent, connected, _ = await agent_socket(client, agent_user, tenant.slug)
    assert connected
    await receive_until(agent, "hello")
    return session, customer, agent


async def receive_until(communicator, frame_type, timeout=3):
    """Frames up to and including the first of ``frame_type``."""
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] == frame_type:
            return frames


async def drain(communicator, wait=0.3):
    frames = []
    while not await communicator.receive_nothing(timeout=wait):
        frames.append(await communicator.receive_json_from())
    return frames


async def test_a_resend_with_the_same_client_id_is_stored_and_delivered_once(client, acme, bob):
    session, customer, agent = await open_pair(client, acme, bob)
    await agent.send_json_to({"type": "watch", "conversation": session.conversation.id})
    await receive_until(agent, "conversation")

    for _ in range(2):  # the client lost the ack and sends again
        await customer.send_json_to({"type": "message", "text": "Card lost", "client_msg_id": "m-1"})
    frames = await drain(customer)
    acks = [f for f in frames if f["type"] == "ack"]
    assert [a["seq"] for a in acks] == [1, 1]
    assert [a["message"]["text"] for a in acks] == ["Card lost", "Card lost"]  # the stored message, in the ack
    assert [f for f in frames if f["type"] == "message"] == []  # so no other copy comes back to the poster
    assert [f["text"] for f in await drain(agent) if f["type"] == "message"] == ["Card lost"]
    count = await sync_to_async(lambda: _count(acme))()
    assert count == 1
    await customer.disconnect()
    await agent.disconnect()


def _count(tenant):
    with tenant_context(tenant.id):
        return ChatMessage.objects.count()


async def test_a_reconnecting_client_receives_exactly_what_it_missed(client, acme, bob):
    session = await sync_to_async(_start)(acme)
    customer, _, _ = await visitor_socket("acme", session.token)
    await receive_until(customer, "hello")
    seen = 0
    for n in (1, 2):
        await customer.send_json_to({"type": "message", "text": f"c{n}", "client_msg_id": f"c{n}"})
        seen = (await receive_until(customer, "ack"))[-1]["seq"]
    assert not [f for f in await drain(customer) if f["type"] == "message"]
    await customer.disconnect()

    agent, _, _ = await agent_socket(client, bob)
    await receive_until(agent, "hello")
    await agent.send_json_to({"type": "take", "conversation": session.conversation.id})
    for n in (1, 2, 3):
        await agent.send_json_to({"type": "reply", "conversation": session.conversation.id, "text": f"a{n}",
                                  "client_msg_id": f"a{n}"})
        await receive_until(agent, "ack")

    customer, _, _ = await visitor_socket("acme", session.token, after=seen)
    frames = await drain(customer, wait=0.5)
    messages = [f for f in frames if f["type"] == "message"]
    assert [m["seq"] for m in messages] == [3, 4, 5, 6]  # "Bob joined", then three replies; nothing twice
    assert [m["text"] for m in messages[1:]] == ["a1", "a2", "a3"]
    # And live messages keep flowing once resumed, each once.
    await agent.send_json_to({"type": "reply", "conversation": session.conversation.id, "text": "a4",
                              "client_msg_id": "a4"})
    live = [f for f in await drain(customer) if f["type"] == "message"]
    assert [(m["seq"], m["text"]) for m in live] == [(7, "a4")]
    # A resume frame on an open socket replays from the given point as well.
    await customer.send_json_to({"type": "resume", "after": 6})
    assert [f["seq"] for f in await drain(customer) if f["type"] == "message"] == [7]
    await customer.disconnect()
    await agent.disconnect()


async def test_a_token_of_another_tenant_is_refused(acme, globex):
    session = await sync_to_async(_start)(acme)
    _, connected, code = await visitor_socket("globex", session.token)
    assert (connected, code) == (False, 4404)
    _, connected, code = await visitor_socket("acme", "forged-token")
    assert (connected, code) == (False, 4404)


async def test_an_agent_cannot_join_or_watch_another_tenant(client, acme, globex, bob, carol):
    theirs = await sync_to_async(_start)(globex)
    _, connected, code = await agent_socket(client, bob, "globex")
    assert (connected, code) == (False, 4404)
    agent, connected, _ = await agent_socket(client, bob, "acme")
    assert connected
    await receive_until(agent, "hello")
    for frame_type in ("watch", "take"):
        await agent.send_json_to({"type": frame_type, "conversation": theirs.conversation.id})
        assert (await receive_until(agent, "error"))[-1]["error"] == "not_found"
    await agent.disconnect()


async def test_a_page_of_an_origin_not_allowed_is_refused(acme):
    await sync_to_async(ChatSettingsFactory)(tenant=acme, allowed_origins="https://shop.acme.test")
    session = await sync_to_async(_start)(acme)
    _, connected, code = await visitor_socket("acme", session.token,
                                              headers=[(b"origin", b"https://evil.test"), (b"host", b"testserver")])
    assert (connected, code) == (False, 4403)
    ok, connected, _ = await visitor_socket("acme", session.token,
                                            headers=[(b"origin", b"https://shop.acme.test"), (b"host", b"testserver")])
    assert connected
    await ok.disconnect()


@pytest.mark.parametrize("frame, error", [
    ("not json", "bad_json"),
    ("[" * 5000 + "]" * 5000, "bad_json"),
    ("[1, 2]", "bad_frame"),
    ('{"text": "no type"}', "bad_frame"),
    ('{"type": "dance"}', "unknown_frame"),
    ('{"type": "message", "text": "no id"}', "invalid"),
    ('{"type": "message", "text": "", "client_msg_id": "x"}', "invalid"),
    ('{"type": "message", "text": 42, "client_msg_id": "x"}', "invalid"),
    (json.dumps({"type": "message", "text": "x" * 4001, "client_msg_id": "x"}), "invalid"),
    (json.dumps({"type": "message", "text": "x" * 20000, "client_msg_id": "x"}), "too_large"),
    ('{"type": "read", "seq": "ten"}', "invalid"),
    ('{"type": "rate", "score": 5}', "invalid"),
    ('{"type": "resume", "after": -1}', "invalid"),
    ('{"type": "message", "text": "a\\u0000b", "client_msg_id": "x"}', "bad_frame"),
    ('{"type": "rate", "score": 5, "comment": ["\\u0000"]}', "bad_frame"),
    ('{"type": "message", "text": "a\\ud800", "client_msg_id": "x"}', "bad_frame"),
    ('{"type": "message", "text": "ok", "client_msg_id": "\\uDC00"}', "bad_frame"),
])
async def test_bad_frames_get_an_error_frame_and_the_socket_stays_usable(acme, frame, error):
    session = await sync_to_async(_start)(acme)
    customer, _, _ = await visitor_socket("acme", session.token)
    await receive_until(customer, "hello")
    await customer.send_to(text_data=frame)
    reply = await customer.receive_json_from(timeout=3)
    assert (reply["type"], reply["error"]) == ("error", error)
    assert reply["detail"]
    await customer.send_json_to({"type": "message", "text": "still here", "client_msg_id": "ok"})
    assert (await receive_until(customer, "ack"))[-1]["seq"] == 1
    await customer.disconnect()


async def test_binary_frames_get_an_error_frame(acme):
    session = await sync_to_async(_start)(acme)
    customer, _, _ = await visitor_socket("acme", session.token)
    await receive_until(customer, "hello")
    await customer.send_to(bytes_data=b"\x00\x01")
    assert (await customer.receive_json_from())["error"] == "bad_frame"
    await customer.send_json_to({"type": "ping"})
    assert (await customer.receive_json_from())["type"] == "pong"
    await customer.disconnect()


async def test_bad_agent_frames_get_error_frames(client, acme, bob):
    agent, _, _ = await agent_socket(client, bob)
    await receive_until(agent, "hello")
    for frame in ({"type": "watch"}, {"type": "watch", "conversation": "x"}, {"type": "presence", "presence": "z"},
                  {"type": "close", "conversation": 999999, "resolved": "maybe"}):
        await agent.send_json_to(frame)
        assert (await receive_until(agent, "error"))[-1]["type"] == "error"
    await agent.send_json_to({"type": "ping"})
    assert (await receive_until(agent, "pong"))[-1]["type"] == "pong"
    await agent.disconnect()


def _limits(tenant, *, visitor, per_tenant):
    with tenant_context(tenant.id):
        ChatSettings.objects.update_or_create(tenant=tenant, defaults={
            "visitor_messages_per_minute": visitor, "tenant_messages_per_minute": per_tenant})


async def _send(communicator, text, client_msg_id):
    await communicator.send_json_to({"type": "message", "text": text, "client_msg_id": client_msg_id})
    frames = await receive_until_any(communicator, {"ack", "error"})
    return frames[-1]


async def receive_until_any(communicator, types):
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=3)
        frames.append(frame)
        if frame["type"] in types:
            return frames


async def test_the_per_visitor_rate_limit_is_enforced(acme):
    await sync_to_async(_limits)(acme, visitor=3, per_tenant=1000)
    session = await sync_to_async(_start)(acme)
    customer, _, _ = await visitor_socket("acme", session.token)
    await receive_until(customer, "hello")
    results = [await _send(customer, "hi", f"m{n}") for n in range(4)]
    assert [r["type"] for r in results] == ["ack", "ack", "ack", "error"]
    assert results[-1]["error"] == "rate_limited"
    assert results[-1]["ref"] == "m3"
    assert await sync_to_async(_count)(acme) == 3
    await customer.send_json_to({"type": "ping"})  # still usable
    assert (await receive_until(customer, "pong"))[-1]["type"] == "pong"
    await customer.disconnect()


async def test_the_per_tenant_rate_limit_is_enforced_across_visitors(acme):
    await sync_to_async(_limits)(acme, visitor=100, per_tenant=4)
    first, second = await sync_to_async(_start)(acme, "Ann"), await sync_to_async(_start)(acme, "Ben")
    one, _, _ = await visitor_socket("acme", first.token)
    two, _, _ = await visitor_socket("acme", second.token)
    await receive_until(one, "hello")
    await receive_until(two, "hello")
    results = []
    for n in range(3):
        results.append(await _send(one, "hi", f"a{n}"))
        results.append(await _send(two, "hi", f"b{n}"))
    assert [r["type"] for r in results] == ["ack"] * 4 + ["error"] * 2
    assert "help desk" in results[-1]["detail"]
    await one.disconnect()
    await two.disconnect()


def _bot_reply(tenant, conversation, text):
    with tenant_context(tenant.id):
        return services.post_bot_reply(tenant=tenant, conversation=conversation, text=text,
                                       citations=[{"title": "Fees", "url": "/h/acme/fees/"}])


async def test_the_bot_is_silenced_after_an_agent_takes_over(client, acme, bob):
    session = await sync_to_async(_start)(acme)
    customer, _, _ = await visitor_socket("acme", session.token)
    await receive_until(customer, "hello")
    assert await sync_to_async(_bot_reply)(acme, session.conversation, "Fees are listed here.") is not None
    bot = (await receive_until(customer, "message"))[-1]
    assert (bot["sender"], bot["citations"]) == ("bot", [{"title": "Fees", "url": "/h/acme/fees/"}])

    await customer.send_json_to({"type": "handoff"})
    frames = await receive_until(customer, "status")
    assert frames[-1]["status"] == "waiting"
    agent, _, _ = await agent_socket(client, bob)
    hello = (await receive_until(agent, "hello"))[-1]
    assert [c["id"] for c in hello["waiting"]] == [session.conversation.id]
    assert "asked to talk to a person" in hello["waiting"][0]["handoff_summary"]
    await agent.send_json_to({"type": "take", "conversation": session.conversation.id})
    assert (await receive_until(customer, "status"))[-1]["status"] == "agent"
    await drain(customer)

    assert await sync_to_async(_bot_reply)(acme, session.conversation, "Me again!") is None
    assert [f for f in await drain(customer) if f.get("sender") == "bot"] == []
    # The customer asking for a human again changes nothing either: the agent keeps it.
    await customer.send_json_to({"type": "handoff"})
    assert [f for f in await drain(customer) if f["type"] == "error"] == []
    assert await sync_to_async(_bot_reply)(acme, session.conversation, "Still me?") is None
    await customer.disconnect()
    await agent.disconnect()


async def test_notes_reach_agents_but_never_the_customer(client, acme, alice, bob):
    session, customer, agent = await open_pair(client, acme, bob)
    await agent.send_json_to({"type": "take", "conversation": session.conversation.id})
    other, _, _ = await agent_socket(client, alice)
    await other.send_json_to({"type": "watch", "conversation": session.conversation.id})
    await receive_until(other, "conversation")
    await agent.send_json_to({"type": "note", "conversation": session.conversation.id, "text": "VIP",
                              "client_msg_id": "n1"})
    frames = await drain(agent)
    assert [(f["message"]["text"], f["message"]["internal"]) for f in frames if f["type"] == "ack"] == [("VIP", True)]
    notes = [f for f in await drain(other) if f["type"] == "message" and f["internal"]]
    assert [n["text"] for n in notes] == ["VIP"]
    assert [f for f in await drain(customer) if f.get("text") == "VIP"] == []
    await other.disconnect()
    await customer.disconnect()
    await agent.disconnect()


async def test_typing_and_read_state_reach_the_other_side(client, acme, bob):
    session, customer, agent = await open_pair(client, acme, bob)
    await agent.send_json_to({"type": "take", "conversation": session.conversation.id})
    await drain(agent)
    await drain(customer)
    await customer.send_json_to({"type": "typing"})
    assert (await receive_until(agent, "typing"))[-1]["who"] == "customer"
    await agent.send_json_to({"type": "reply", "conversation": session.conversation.id, "text": "Hello",
                              "client_msg_id": "r1"})
    seq = (await receive_until(customer, "message"))[-1]["seq"]
    await customer.send_json_to({"type": "read", "seq": seq})
    read = (await receive_until(agent, "read"))[-1]
    assert (read["by"], read["seq"]) == ("customer", seq)
    await customer.disconnect()
    await agent.disconnect()


async def test_the_poster_gets_its_message_in_the_ack_and_its_other_tabs_get_the_copy(acme):
    session = await sync_to_async(_start)(acme)
    one, _, _ = await visitor_socket("acme", session.token)
    two, _, _ = await visitor_socket("acme", session.token)
    await receive_until(one, "hello")
    await receive_until(two, "hello")
    await one.send_json_to({"type": "message", "text": "from tab one", "client_msg_id": "t1"})
    ack = (await receive_until(one, "ack"))[-1]
    assert (ack["message"]["text"], ack["message"]["seq"], ack["message"]["sender"]) == ("from tab one", 1, "customer")
    copy = (await receive_until(two, "message"))[-1]
    assert copy == ack["message"]
    assert [f for f in await drain(one) if f["type"] == "message"] == []
    await one.disconnect()
    await two.disconnect()


def _texts(tenant, text):
    with tenant_context(tenant.id):
        return ChatMessage.objects.filter(text=text).count()


async def test_an_agent_reply_or_note_resent_with_its_client_id_is_stored_once(client, acme, bob):
    """The console resends whatever the server has not echoed after every reconnect (static/js/chat-socket.js)."""
    session, customer, agent = await open_pair(client, acme, bob)
    conversation_id = session.conversation.id
    await agent.send_json_to({"type": "take", "conversation": conversation_id})
    await drain(agent)
    await drain(customer)
    for frame_type, client_msg_id in (("reply", "a-1"), ("reply", "a-1"), ("note", "n-1"), ("note", "n-1")):
        await agent.send_json_to({"type": frame_type, "conversation": conversation_id, "text": f"the {frame_type}",
                                  "client_msg_id": client_msg_id})
    acks = [f for f in await drain(agent) if f["type"] == "ack"]
    assert [a["client_msg_id"] for a in acks] == ["a-1", "a-1", "n-1", "n-1"]
    assert acks[0]["message"] == acks[1]["message"] and acks[2]["message"] == acks[3]["message"]
    # The same again over a new socket, as after a restart of the web process that lost the acks.
    await agent.disconnect()
    agent, _, _ = await agent_socket(client, bob)
    await receive_until(agent, "hello")
    await agent.send_json_to({"type": "reply", "conversation": conversation_id, "text": "the reply",
                              "client_msg_id": "a-1"})
    assert (await receive_until(agent, "ack"))[-1]["id"] == acks[0]["id"]
    assert [f["text"] for f in await drain(customer) if f["type"] == "message"] == ["the reply"]
    assert (await sync_to_async(_texts)(acme, "the reply"), await sync_to_async(_texts)(acme, "the note")) == (1, 1)
    await customer.disconnect()
    await agent.disconnect()


async def test_an_agent_reply_without_a_usable_client_id_gets_an_error_frame(client, acme, bob):
    session, customer, agent = await open_pair(client, acme, bob)
    conversation_id = session.conversation.id
    await agent.send_json_to({"type": "take", "conversation": conversation_id})
    await drain(agent)
    for frame_type in ("reply", "note"):
        for bad in ({}, {"client_msg_id": ""}, {"client_msg_id": 42}, {"client_msg_id": ["a"]},
                    {"client_msg_id": "x" * 65}):
            await agent.send_json_to({"type": frame_type, "conversation": conversation_id, "text": "lost?", **bad})
            error = (await receive_until_any(agent, {"ack", "error"}))[-1]
            assert (error["type"], error["error"]) == ("error", "invalid"), bad
            assert "client_msg_id" in error["errors"]
    await agent.send_json_to({"type": "reply", "conversation": conversation_id, "text": "still here",
                              "client_msg_id": "ok"})
    assert (await receive_until(agent, "ack"))[-1]["message"]["text"] == "still here"
    assert await sync_to_async(_texts)(acme, "lost?") == 0
    await customer.disconnect()
    await agent.disconnect()


async def test_a_chinese_tenants_customer_gets_socket_errors_in_chinese(client, acme, bob):
    acme.settings = {**acme.settings, "language": "zh-hans"}
    await sync_to_async(acme.save)()
    session, customer, agent = await open_pair(client, acme, bob)

    def close():
        with tenant_context(acme.id):
            services.close(tenant=acme, conversation=session.conversation, actor=bob, resolved=True)

    await sync_to_async(close)()
    await drain(customer)
    await customer.send_json_to({"type": "message", "text": "还在吗？", "client_msg_id": "m-closed"})
    error = (await receive_until(customer, "error"))[-1]
    assert error["detail"] == "此会话已结束，请发起新会话。", error
    await customer.send_json_to({"type": "nonsense"})
    assert "未知的帧类型" in (await receive_until(customer, "error"))[-1]["detail"]
    await agent.send_json_to({"type": "presence", "presence": "asleep"})  # bob has no language: the tenant's
    assert "状态只能是" in (await receive_until(agent, "error"))[-1]["detail"]
    await customer.disconnect()
    await agent.disconnect()
