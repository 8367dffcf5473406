"""Domain events of the chat app, sent after the transaction commits (the ai app subscribes)."""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: tenant_id, conversation_id, message_id — a customer wrote in a conversation (new messages only).
customer_message_posted = Signal()
# kwargs: tenant_id, conversation_id — the conversation left the bot and waits for an agent.
conversation_handed_off = Signal()
