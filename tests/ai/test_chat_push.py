"""A chat suggestion reaches the agents watching the conversation live, and never the customer's socket."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from ai.services.chat import chat_answer, chat_message_triage
from tenants.rls import tenant_context
from tests.chat.test_consumers import drain, open_pair, receive_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _process(tenant, message_id):
    """What the Celery worker does for the customer's message: the answer task, then the triage task (each its
    own unit of work, committed at its end)."""
    with tenant_context(tenant.id):
        chat_answer(tenant=tenant, message_id=message_id)
    with tenant_context(tenant.id):
        chat_message_triage(tenant=tenant, message_id=message_id)


async def test_the_suggestion_and_triage_reach_the_agent_and_never_the_customer(client, acme, bob, demo_kb):
    await sync_to_async(demo_kb)(acme, "cards")
    session, customer, agent = await open_pair(client, acme, bob)
    await agent.send_json_to({"type": "take", "conversation": session.conversation.id})
    await receive_until(customer, "status")
    await drain(agent)

    await customer.send_json_to({"type": "message", "text": "How much does express card delivery cost?",
                                 "client_msg_id": "q1"})
    ack = (await receive_until(customer, "ack"))[-1]
    await sync_to_async(_process)(acme, ack["id"])

    agent_frames = await receive_until(agent, "suggestion", timeout=10)
    suggestion = agent_frames[-1]
    assert suggestion["conversation"] == session.conversation.id and "£5" in suggestion["text"]
    assert suggestion["citations"][0]["title"] == "How long does card delivery take?"
    assert suggestion["feedback_url"] == f"/t/acme/ai/suggestions/{suggestion['id']}/feedback/"
    agent_frames += await receive_until(agent, "conversation", timeout=10)  # the triage task runs after the answer
    triage = [f for f in agent_frames if f["type"] == "conversation"]
    assert triage and triage[-1]["language"] == "en" and triage[-1]["category"] == "cards"

    customer_frames = await drain(customer, wait=1.0)
    assert not [f for f in customer_frames if f["type"] in ("suggestion", "conversation")]
    raw = json.dumps(customer_frames, ensure_ascii=False)
    assert "£5" not in raw and "sentiment" not in raw and "feedback_url" not in raw
    assert not [f for f in customer_frames if f.get("sender") == "bot"]  # the agent holds it: the bot is silent
    await customer.disconnect()
    await agent.disconnect()
