"""Demo chats for ``manage.py seed_demo``: one waiting for an agent after the bot tried, one closed and rated."""

from __future__ import annotations

from typing import Any

from chat import services
from chat.models import ChatSettings, Conversation
from tenants.models import Tenant
from tenants.selectors import agents_of


def seed(*, tenant: Tenant, stdout: Any) -> None:
    ChatSettings.objects.get_or_create(tenant=tenant, defaults={"allowed_origins": "http://localhost:8000"})
    if Conversation.objects.for_tenant(tenant).exists():
        stdout.write("chat: demo conversations already there")
        return
    waiting = services.chat_start(tenant=tenant, name="Maria Lopez", email="maria.lopez@example.com").conversation
    services.post_customer_message(tenant=tenant, conversation=waiting,
                                   text="My card payment was declined abroad, why?", client_msg_id="seed-1")
    services.post_bot_reply(tenant=tenant, conversation=waiting,
                            text="Card payments abroad can be declined when travel is not enabled for the card.",
                            citations=[{"title": "Using your card abroad", "url": f"/h/{tenant.slug}/"}])
    services.post_customer_message(tenant=tenant, conversation=waiting, text="Travel is enabled. I need a person.",
                                   client_msg_id="seed-2")
    services.handoff(tenant=tenant, conversation=waiting, reason="customer_request",
                     summary="Card declined abroad although travel is enabled; the travel article did not help.",
                     sources=[{"title": "Using your card abroad", "url": f"/h/{tenant.slug}/"}])
    agent = agents_of(tenant=tenant).first()
    if agent is not None:
        done = services.chat_start(tenant=tenant, name="Tom Becker", email="tom.becker@example.com").conversation
        services.post_customer_message(tenant=tenant, conversation=done, text="How do I change my PIN?",
                                       client_msg_id="seed-3")
        services.agent_take_over(tenant=tenant, conversation=done, agent=agent)
        services.agent_reply(tenant=tenant, conversation=done, agent=agent,
                             text="Any of our ATMs can change it: choose 'PIN services' after inserting the card.")
        services.close(tenant=tenant, conversation=done, actor=agent, resolved=True)
        services.rate(tenant=tenant, conversation=done, score=5, comment="Quick answer, thanks")
    stdout.write("chat: 2 demo conversations")
