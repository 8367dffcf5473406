"""Posting messages: sequence numbers, idempotent resends, who may speak in which state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext

from chat import broadcast, events
from chat.models import ChatMessage, Conversation, Sender, Status
from chat.payloads import message_payload
from chat.services.attachments import AttachmentMeta, attachments_for_message
from tenants.models import Tenant, User
from tenants.rls import tenant_context

MAX_TEXT = 4000
MAX_CLIENT_ID = 64


def _clean_text(text: object, *, files: bool = False) -> str:
    if files and (text is None or text == ""):
        return ""  # a message of files only
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": gettext("Write a message.")})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": gettext("Messages are limited to %(limit)s characters.") % {"limit": MAX_TEXT}})
    return text.strip()


def _clean_client_id(client_msg_id: object) -> str:
    if client_msg_id is None:
        return ""
    if not isinstance(client_msg_id, str) or len(client_msg_id) > MAX_CLIENT_ID:
        raise ValidationError({"client_msg_id": gettext("Use a string of at most %(limit)s characters.")
                                         % {"limit": MAX_CLIENT_ID}})
    return client_msg_id


@dataclass(frozen=True)
class _Rule:
    """Who may speak in which state, checked by chat_message_post under the conversation's row lock."""

    statuses: tuple[str, ...]
    assigned_agent_id: int | None = None  # only the agent holding the conversation
    unsilenced: bool = False  # only while no agent has taken the conversation over (the bot)


_ANY_STATE = _Rule(statuses=tuple(Status.values))
_CUSTOMER = _Rule(statuses=(Status.BOT, Status.WAITING, Status.AGENT))
_BOT = _Rule(statuses=(Status.BOT,), unsilenced=True)
_POST = "SELECT * FROM chat_message_post(%s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s, %s)"


def _json(value: object) -> Any:
    # Django's psycopg setup leaves jsonb as text for JSONField to parse; a raw query parses it itself.
    return json.loads(value) if isinstance(value, str) else value


def _post(
    *, tenant: Tenant, conversation_id: int, rule: _Rule, sender: str, text: str, author: User | None = None,
    internal: bool = False, client_msg_id: str = "", meta: dict[str, object] | None = None,
    attachments: list[AttachmentMeta] | None = None,
) -> tuple[str, ChatMessage | None]:
    """Store one message (chat/migrations/0004_message_post_function.py): (outcome, message).

    Outcomes: "posted" (broadcast once committed), "duplicate" (the stored message of this client id), "refused"
    (the rule forbids it in the conversation's state) and "missing" (no such conversation), the last two with no
    message. One statement that sets the tenant itself: the chat sockets call it outside a transaction (one round
    trip per message); inside one (an HTTP request, a task) it is part of the caller's transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute(_POST, [
            tenant.id, conversation_id, sender, author.id if author else None, internal, text,
            json.dumps(attachments or []), json.dumps(meta or {}), client_msg_id, list(rule.statuses),
            rule.assigned_agent_id, rule.unsilenced,
        ])
        (outcome, message_id, seq, stored_sender, author_id, stored_internal, stored_text,
         stored_attachments, stored_meta, created_at) = cursor.fetchone()
    if message_id is None:
        return outcome, None
    message = ChatMessage(
        id=message_id, tenant=tenant, conversation_id=conversation_id, seq=seq, sender=stored_sender,
        author_id=author_id, internal=stored_internal, text=stored_text, attachments=_json(stored_attachments),
        meta=_json(stored_meta), client_msg_id=client_msg_id, created_at=created_at,
    )
    message._state.adding, message._state.db = False, connection.alias
    if outcome == "posted":
        author_name = author.display_name if author is not None else ""
        broadcast.to_conversation(tenant.id, conversation_id,
                                  message_payload(message, tenant_slug=tenant.slug, author_name=author_name),
                                  staff=internal)
    return outcome, message


def _files(tenant: Tenant, conversation: Conversation, attachment_ids: object, *, side: str) -> list[AttachmentMeta]:
    """The side's uploads to send (one SELECT, only when given), read in the tenant's context: posting may run
    outside a transaction (the chat sockets), where a plain query would see no rows."""
    if not attachment_ids:
        return []
    with tenant_context(tenant.id):
        return attachments_for_message(tenant=tenant, conversation_id=conversation.id, attachment_ids=attachment_ids,
                                       side=side)


def post_system(*, tenant: Tenant, conversation_id: int, text: str, internal: bool = False,
                meta: dict[str, object] | None = None) -> ChatMessage:
    _, message = _post(tenant=tenant, conversation_id=conversation_id, rule=_ANY_STATE, sender=Sender.SYSTEM,
                       text=text, internal=internal, meta=meta)
    if message is None:
        raise ValidationError({"conversation": gettext("No such conversation.")})
    return message


def post_customer_message(
    *, tenant: Tenant, conversation: Conversation, text: str, client_msg_id: str, attachment_ids: object = None,
) -> ChatMessage:
    """The customer wrote. A resend with the same client id returns the stored message and broadcasts nothing.

    ``attachment_ids``: the customer's uploads in this conversation to send with it (one SELECT, only when given).
    """
    files = _files(tenant, conversation, attachment_ids, side=Sender.CUSTOMER)
    text, client_msg_id = _clean_text(text, files=bool(files)), _clean_client_id(client_msg_id)
    outcome, message = _post(tenant=tenant, conversation_id=conversation.id, rule=_CUSTOMER, sender=Sender.CUSTOMER,
                             text=text, client_msg_id=client_msg_id, attachments=files)
    if message is None:
        if outcome == "missing":
            raise ValidationError({"conversation": gettext("No such conversation.")})
        raise ValidationError({"conversation": gettext("This conversation is closed. Start a new one.")})
    # Files alone give the bot nothing to answer: only messages with text are announced to it.
    if outcome == "posted" and text:
        transaction.on_commit(partial(
            events.customer_message_posted.send, sender=ChatMessage, tenant_id=tenant.id,
            conversation_id=conversation.id, message_id=message.id,
        ))
    return message


def _clean_citations(citations: list[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for citation in citations or []:
        if not isinstance(citation, dict):
            continue
        cleaned.append({"title": str(citation.get("title", ""))[:200], "url": str(citation.get("url", ""))[:500]})
    return cleaned


def post_bot_reply(
    *, tenant: Tenant, conversation: Conversation, text: str, citations: list[dict[str, str]]
) -> ChatMessage | None:
    """The bot answers, only while the conversation is with the bot; otherwise nothing is posted (None)."""
    _, message = _post(tenant=tenant, conversation_id=conversation.id, rule=_BOT, sender=Sender.BOT,
                       text=_clean_text(text), meta={"citations": _clean_citations(citations)})
    return message


def agent_reply(
    *, tenant: Tenant, conversation: Conversation, agent: User, text: str, client_msg_id: str = "",
    attachment_ids: object = None,
) -> ChatMessage:
    """The assigned agent answers the customer (idempotent on the client id, like the customer's messages)."""
    files = _files(tenant, conversation, attachment_ids, side=Sender.AGENT)
    text, client_msg_id = _clean_text(text, files=bool(files)), _clean_client_id(client_msg_id)
    _, message = _post(tenant=tenant, conversation_id=conversation.id,
                       rule=_Rule(statuses=(Status.AGENT,), assigned_agent_id=agent.id), sender=Sender.AGENT,
                       text=text, author=agent, client_msg_id=client_msg_id, attachments=files)
    if message is None:
        raise PermissionDenied(gettext("Take the conversation over before replying."))
    return message


def note_add(
    *, tenant: Tenant, conversation: Conversation, agent: User, text: str, client_msg_id: str = "",
    attachment_ids: object = None,
) -> ChatMessage:
    """An internal note: any agent of the tenant may add one; the customer never receives it (nor its files)."""
    files = _files(tenant, conversation, attachment_ids, side=Sender.AGENT)
    text, client_msg_id = _clean_text(text, files=bool(files)), _clean_client_id(client_msg_id)
    _, message = _post(tenant=tenant, conversation_id=conversation.id, rule=_ANY_STATE, sender=Sender.AGENT,
                       text=text, author=agent, internal=True, client_msg_id=client_msg_id, attachments=files)
    if message is None:
        raise ValidationError({"conversation": gettext("No such conversation.")})
    return message


def mark_read(*, tenant: Tenant, conversation: Conversation, by_customer: bool, seq: int) -> int:
    """Move the read marker forward (never back) and tell the other side."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValidationError({"seq": gettext("Give the sequence number of the last message read.")})
    field = "customer_read_seq" if by_customer else "agent_read_seq"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE chat_conversation SET {field} = GREATEST({field}, LEAST(%s, last_seq)) "
                "WHERE tenant_id = %s AND id = %s RETURNING " + field,
                [seq, tenant.id, conversation.id],
            )
            row = cursor.fetchone()
        if row is None:
            raise ValidationError({"conversation": gettext("No such conversation.")})
        broadcast.to_conversation(tenant.id, conversation.id, {
            "type": "read", "by": "customer" if by_customer else "agent", "seq": row[0],
        })
    return int(row[0])
