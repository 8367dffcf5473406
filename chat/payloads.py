"""The JSON shapes sent to browsers over the chat sockets."""

from __future__ import annotations

from typing import Any, TypedDict

from chat.models import ChatMessage, Conversation


class AttachmentPayload(TypedDict):
    id: int
    filename: str
    content_type: str
    size: int
    url: str  # the customer's download (add ?token=<visitor token>)
    agent_url: str  # the agents' download (session)


class MessagePayload(TypedDict):
    type: str
    id: int
    conversation: int
    seq: int
    sender: str
    author: str
    internal: bool
    text: str
    attachments: list[AttachmentPayload]
    citations: list[dict[str, str]]
    client_msg_id: str
    created_at: str


class ConversationPayload(TypedDict):
    type: str
    id: int
    status: str
    visitor: str
    email: str
    assigned_agent: int | None
    assigned_agent_name: str
    team: str
    handoff_reason: str
    handoff_summary: str
    handoff_sources: list[dict[str, str]]
    last_seq: int
    ticket_id: int | None
    csat_score: int | None
    category: str
    sentiment: str
    language: str
    updated_at: str


def attachment_payloads(items: list[dict[str, Any]], *, tenant_slug: str) -> list[AttachmentPayload]:
    # Plain f-strings, not reverse(): these paths are fixed by helpdesk/urls.py, chat/urls*.py (tested there).
    return [{
        "id": item["id"], "filename": item["filename"], "content_type": item["content_type"], "size": item["size"],
        "url": f"/c/{tenant_slug}/attachments/{item['id']}/",
        "agent_url": f"/t/{tenant_slug}/chat/attachments/{item['id']}/",
    } for item in items]


def message_payload(message: ChatMessage, *, tenant_slug: str, author_name: str = "") -> MessagePayload:
    return {
        "type": "message",
        "id": message.id,
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender,
        "author": author_name,
        "internal": message.internal,
        "text": message.text,
        "attachments": attachment_payloads(message.attachments, tenant_slug=tenant_slug) if message.attachments else [],
        "citations": message.citations,
        "client_msg_id": message.client_msg_id,
        "created_at": message.created_at.isoformat(),
    }


def conversation_payload(conversation: Conversation) -> ConversationPayload:
    agent = conversation.assigned_agent if conversation.assigned_agent_id else None
    return {
        "type": "conversation",
        "id": conversation.id,
        "status": conversation.status,
        "visitor": str(conversation.visitor),
        "email": conversation.visitor.email,
        "assigned_agent": conversation.assigned_agent_id,
        "assigned_agent_name": agent.display_name if agent is not None else "",
        "team": conversation.team,
        "handoff_reason": conversation.handoff_reason,
        "handoff_summary": conversation.handoff_summary,
        "handoff_sources": list(conversation.handoff_sources or []),
        "last_seq": conversation.last_seq,
        "ticket_id": conversation.ticket_id,
        "csat_score": conversation.csat_score,
        "category": conversation.category,
        "sentiment": conversation.sentiment,
        "language": conversation.language,
        "updated_at": conversation.updated_at.isoformat(),
    }
