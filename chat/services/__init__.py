"""Writes of the chat app. Other apps (the AI) call these names; the modules behind them may move."""

from __future__ import annotations

from chat.selectors import conversation_get, recent_messages
from chat.services.attachments import attachment_upload, visitor_attachment_upload
from chat.services.lifecycle import (
    agent_take_over,
    close,
    conversation_transcript,
    convert_to_ticket,
    customer_handoff_summary,
    handoff,
    rate,
    reopen,
    transfer,
)
from chat.services.messages import agent_reply, mark_read, note_add, post_bot_reply, post_customer_message
from chat.services.triage import conversation_set_triage, conversation_staff_push
from chat.services.visitors import ChatSession, chat_settings_update, chat_start, visitor_from_token

__all__ = [
    "ChatSession",
    "agent_reply",
    "agent_take_over",
    "attachment_upload",
    "chat_settings_update",
    "chat_start",
    "close",
    "conversation_get",
    "conversation_set_triage",
    "conversation_staff_push",
    "conversation_transcript",
    "convert_to_ticket",
    "customer_handoff_summary",
    "handoff",
    "mark_read",
    "note_add",
    "post_bot_reply",
    "post_customer_message",
    "rate",
    "recent_messages",
    "reopen",
    "transfer",
    "visitor_attachment_upload",
    "visitor_from_token",
]
