"""Files over the real sockets: uploaded over HTTP, referenced in message frames, received by the other side."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.models import ChatMessage
from tenants.rls import tenant_context
from tests.chat.test_consumers import agent_socket, drain, receive_until, receive_until_any, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)


def _start_and_upload(client, name="Ann", filename="receipt.txt", data=b"paid"):
    session = client.post("/c/acme/start/", {"name": name, "email": f"{name.lower()}@example.test"}).json()
    response = client.post("/c/acme/attachments/", {"file": SimpleUploadedFile(filename, data, "text/plain")},
                           HTTP_X_CHAT_TOKEN=session["token"])
    assert response.status_code == 201
    return session, response.json()["id"]


def _stored(tenant, message_id):
    with tenant_context(tenant.id):
        return ChatMessage.objects.get(id=message_id).attachments


async def test_a_customers_file_reaches_the_agent_with_download_links(client, acme, bob):
    session, file_id = await sync_to_async(_start_and_upload)(client)
    customer, _, _ = await visitor_socket("acme", session["token"])
    await receive_until(customer, "hello")
    agent, _, _ = await agent_socket(client, bob)
    await receive_until(agent, "hello")
    await agent.send_json_to({"type": "watch", "conversation": session["conversation"]})
    await receive_until(agent, "conversation")

    await customer.send_json_to({"type": "message", "text": "My receipt", "client_msg_id": "m1",
                                 "attachments": [file_id]})
    ack = (await receive_until(customer, "ack"))[-1]
    seen_by_agent = [f for f in await drain(agent) if f["type"] == "message"]
    assert len(seen_by_agent) == 1
    [item] = seen_by_agent[0]["attachments"]
    assert (item["id"], item["filename"], item["size"]) == (file_id, "receipt.txt", 4)
    assert item["agent_url"] == f"/t/acme/chat/attachments/{file_id}/"
    assert item["url"] == f"/c/acme/attachments/{file_id}/"
    assert [a["id"] for a in await sync_to_async(_stored)(acme, ack["id"])] == [file_id]
    # The link works for the agent's session, and for the customer's token.
    response = await sync_to_async(client.get)(item["agent_url"])
    assert (response.status_code, response.content) == (200, b"paid")
    await customer.disconnect()
    await agent.disconnect()


async def test_an_agents_file_reaches_the_customer(client, acme, bob):
    session = await sync_to_async(lambda: client.post("/c/acme/start/", {"name": "Ann",
                                                                         "email": "ann@example.test"}).json())()
    customer, _, _ = await visitor_socket("acme", session["token"])
    await receive_until(customer, "hello")
    agent, _, _ = await agent_socket(client, bob)
    await receive_until(agent, "hello")
    await agent.send_json_to({"type": "take", "conversation": session["conversation"]})
    await drain(customer)
    upload = await sync_to_async(client.post)(
        f"/t/acme/chat/{session['conversation']}/attachments/",
        {"file": SimpleUploadedFile("form.pdf", b"%PDF-1.4 form", "application/pdf")})
    assert upload.status_code == 201
    file_id = upload.json()["id"]
    await agent.send_json_to({"type": "reply", "conversation": session["conversation"], "text": "",
                              "client_msg_id": "r1", "attachments": [file_id]})
    message = (await receive_until(customer, "message"))[-1]
    assert [(a["filename"], a["content_type"]) for a in message["attachments"]] == [("form.pdf", "application/pdf")]
    await sync_to_async(client.logout)()
    response = await sync_to_async(client.get)(message["attachments"][0]["url"] + f"?token={session['token']}")
    assert (response.status_code, response["Content-Disposition"]) == (200, 'attachment; filename="form.pdf"')
    await customer.disconnect()
    await agent.disconnect()


async def test_another_conversations_file_in_a_frame_is_an_error_and_the_socket_stays_usable(client, acme):
    ann, _ = await sync_to_async(_start_and_upload)(client, "Ann")
    _, bens_file = await sync_to_async(_start_and_upload)(client, "Ben")
    customer, _, _ = await visitor_socket("acme", ann["token"])
    await receive_until(customer, "hello")
    for attachments in ([bens_file], [999_999], "x", list(range(1, 8))):
        await customer.send_json_to({"type": "message", "text": "look", "client_msg_id": "bad",
                                     "attachments": attachments})
        error = (await receive_until_any(customer, {"ack", "error"}))[-1]
        assert (error["type"], error["error"], error["ref"]) == ("error", "invalid", "bad")
        assert error["errors"]["attachments"]
    await customer.send_json_to({"type": "message", "text": "still here", "client_msg_id": "ok"})
    assert (await receive_until(customer, "ack"))[-1]["seq"] == 1  # nothing was stored by the refused frames
    await customer.disconnect()
