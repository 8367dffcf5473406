"""Posting messages: sequence numbers, idempotent resends, who may speak in which state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from chat import broadcast, events
from chat.models import ChatMessage, Conversation, Sender, Status
from chat.payloads import message_payload
from chat.services.attachments import AttachmentMeta, attachments_for_message
from tenants.models import Tenant, User

MAX_TEXT = 4000
MAX_CLIENT_ID = 64


@dataclass(frozen=True)
class _Slot:
    seq: int
    status: str
    bot_silenced: bool
    assigned_agent_id: int | None


def _clean_text(text: object, *, files: bool = False) -> str:
    if files and (text is None or text == ""):
        return ""  # a message of files only
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "Write a message."})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": f"Messages are limited to {MAX_TEXT} characters."})
    return text.strip()


def _clean_client_id(client_msg_id: object) -> str:
    if client_msg_id is None:
        return ""
    if not isinstance(client_msg_id, str) or len(client_msg_id) > MAX_CLIENT_ID:
        raise ValidationError({"client_msg_id": f"Use a string of at most {MAX_CLIENT_ID} characters."})
    return client_msg_id


def _take_seq(tenant: Tenant, conversation_id: int) -> _Slot | None:
    """Hand out the next sequence number. The UPDATE locks the conversation row until commit, so concurrent
    posters (in any process) get consecutive numbers in commit order, and a reader never sees n+1 before n."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE chat_conversation SET last_seq = last_seq + 1, updated_at = %s "
            "WHERE tenant_id = %s AND id = %s RETURNING last_seq, status, bot_silenced, assigned_agent_id",
            [timezone.now(), tenant.id, conversation_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return _Slot(seq=row[0], status=row[1], bot_silenced=row[2], assigned_agent_id=row[3])


def _give_back_seq(tenant: Tenant, conversation_id: int) -> None:
    # We still hold the row lock, so nobody took a number after ours.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE chat_conversation SET last_seq = last_seq - 1 WHERE tenant_id = %s AND id = %s",
            [tenant.id, conversation_id],
        )


def _existing(tenant: Tenant, conversation_id: int, client_msg_id: str) -> ChatMessage | None:
    if not client_msg_id:
        return None
    return (
        ChatMessage.objects.for_tenant(tenant).select_related("author")
        .filter(conversation_id=conversation_id, client_msg_id=client_msg_id).first()
    )


_INSERT = (
    "INSERT INTO chat_chatmessage (tenant_id, conversation_id, seq, sender, author_id, internal, text, attachments, "
    "meta, client_msg_id, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s) "
    # A resend of a stored client id inserts nothing (the partial unique index of the model's constraint).
    "ON CONFLICT (tenant_id, conversation_id, client_msg_id) WHERE NOT (client_msg_id = '') DO NOTHING RETURNING id"
)


def append(
    *, tenant: Tenant, conversation_id: int, slot: _Slot, sender: str, text: str, author: User | None = None,
    internal: bool = False, client_msg_id: str = "", meta: dict[str, object] | None = None,
    attachments: list[AttachmentMeta] | None = None,
) -> ChatMessage | None:
    """Store one message under a taken sequence number and broadcast it once the transaction commits.

    One statement (the hot path of every chat message); None when the client id was already stored.
    """
    message = ChatMessage(
        tenant=tenant, conversation_id=conversation_id, seq=slot.seq, sender=sender, author=author,
        internal=internal, text=text, client_msg_id=client_msg_id, meta=meta or {}, attachments=attachments or [],
        created_at=timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [
            tenant.id, conversation_id, message.seq, sender, author.id if author else None, internal, text,
            json.dumps(message.attachments), json.dumps(message.meta), client_msg_id, message.created_at,
        ])
        row = cursor.fetchone()
    if row is None:
        return None
    message.id = row[0]
    message._state.adding, message._state.db = False, connection.alias
    author_name = author.display_name if author is not None else ""
    broadcast.to_conversation(tenant.id, conversation_id,
                              message_payload(message, tenant_slug=tenant.slug, author_name=author_name),
                              staff=internal)
    return message


def _append_once(
    *, tenant: Tenant, conversation_id: int, slot: _Slot, client_msg_id: str, **fields: Any
) -> tuple[ChatMessage, bool]:
    """Append, or return the stored message of this client id (giving the unused number back): (message, new)."""
    message = append(tenant=tenant, conversation_id=conversation_id, slot=slot, client_msg_id=client_msg_id,
                     **fields)
    if message is not None:
        return message, True
    _give_back_seq(tenant, conversation_id)
    existing = _existing(tenant, conversation_id, client_msg_id)
    assert existing is not None  # the insert conflicted on it, under our row lock
    return existing, False


def post_system(*, tenant: Tenant, conversation_id: int, text: str, internal: bool = False,
                meta: dict[str, object] | None = None) -> ChatMessage:
    slot = _take_seq(tenant, conversation_id)
    if slot is None:
        raise ValidationError({"conversation": "No such conversation."})
    message = append(tenant=tenant, conversation_id=conversation_id, slot=slot, sender=Sender.SYSTEM, text=text,
                     internal=internal, meta=meta)
    assert message is not None  # no client id, so no conflict
    return message


# No savepoint (atomic(savepoint=False)): these run inside the caller's tenant_context transaction; two round trips
# fewer on every chat message. An exception through such a block would doom the caller's whole transaction, so the
# refusals below give their sequence number back, leave the block normally, and raise after it.
def post_customer_message(
    *, tenant: Tenant, conversation: Conversation, text: str, client_msg_id: str, attachment_ids: object = None,
) -> ChatMessage:
    """The customer wrote. A resend with the same client id returns the stored message and broadcasts nothing.

    ``attachment_ids``: the customer's uploads in this conversation to send with it (one SELECT, only when given).
    """
    files = attachments_for_message(tenant=tenant, conversation_id=conversation.id, attachment_ids=attachment_ids,
                                    side=Sender.CUSTOMER) if attachment_ids else []
    text, client_msg_id = _clean_text(text, files=bool(files)), _clean_client_id(client_msg_id)
    with transaction.atomic(savepoint=False):
        slot = _take_seq(tenant, conversation.id)
        if slot is not None and slot.status != Status.CLOSED:
            # Under the row lock: a concurrent resend of the same id waits, then conflicts with ours.
            message, new = _append_once(tenant=tenant, conversation_id=conversation.id, slot=slot,
                                        sender=Sender.CUSTOMER, text=text, client_msg_id=client_msg_id,
                                        attachments=files)
            # Files alone give the bot nothing to answer: only messages with text are announced to it.
            if new and text:
                transaction.on_commit(partial(
                    events.customer_message_posted.send, sender=ChatMessage, tenant_id=tenant.id,
                    conversation_id=conversation.id, message_id=message.id,
                ))
            return message
        if slot is not None:
            _give_back_seq(tenant, conversation.id)
            # A resend of a message stored before the close is still answered with that message.
            existing = _existing(tenant, conversation.id, client_msg_id)
            if existing is not None:
                return existing
    raise ValidationError({"conversation": "This conversation is closed. Start a new one."})


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
    text = _clean_text(text)
    with transaction.atomic(savepoint=False):
        slot = _take_seq(tenant, conversation.id)
        if slot is None:
            return None
        if slot.status != Status.BOT or slot.bot_silenced:
            _give_back_seq(tenant, conversation.id)
            return None
        return append(tenant=tenant, conversation_id=conversation.id, slot=slot, sender=Sender.BOT, text=text,
                      meta={"citations": _clean_citations(citations)})


def _agent_files(tenant: Tenant, conversation: Conversation, attachment_ids: object) -> list[AttachmentMeta]:
    if not attachment_ids:
        return []
    return attachments_for_message(tenant=tenant, conversation_id=conversation.id, attachment_ids=attachment_ids,
                                   side=Sender.AGENT)


def agent_reply(
    *, tenant: Tenant, conversation: Conversation, agent: User, text: str, client_msg_id: str = "",
    attachment_ids: object = None,
) -> ChatMessage:
    """The assigned agent answers the customer (idempotent on the client id, like the customer's messages)."""
    files = _agent_files(tenant, conversation, attachment_ids)
    text, client_msg_id = _clean_text(text, files=bool(files)), _clean_client_id(client_msg_id)
    with transaction.atomic(savepoint=False):
        slot = _take_seq(tenant, conversation.id)
        if slot is not None and slot.status == Status.AGENT and slot.assigned_agent_id == agent.id:
            return _append_once(tenant=tenant, conversation_id=conversation.id, slot=slot, sender=Sender.AGENT,
                                text=text, author=agent, client_msg_id=client_msg_id, attachments=files)[0]
        if slot is not None:
            _give_back_seq(tenant, conversation.id)
            existing = _existing(tenant, conversation.id, client_msg_id)
            if existing is not None:
                return existing
    raise PermissionDenied("Take the conversation over before replying.")


def note_add(
    *, tenant: Tenant, conversation: Conversation, agent: User, text: str, client_msg_id: str = "",
    attachment_ids: object = None,
) -> ChatMessage:
    """An internal note: any agent of the tenant may add one; the customer never receives it (nor its files)."""
    files = _agent_files(tenant, conversation, attachment_ids)
    text, client_msg_id = _clean_text(text, files=bool(files)), _clean_client_id(client_msg_id)
    with transaction.atomic(savepoint=False):
        slot = _take_seq(tenant, conversation.id)
        if slot is not None:
            return _append_once(tenant=tenant, conversation_id=conversation.id, slot=slot, sender=Sender.AGENT,
                                text=text, author=agent, internal=True, client_msg_id=client_msg_id,
                                attachments=files)[0]
    raise ValidationError({"conversation": "No such conversation."})


def mark_read(*, tenant: Tenant, conversation: Conversation, by_customer: bool, seq: int) -> int:
    """Move the read marker forward (never back) and tell the other side."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValidationError({"seq": "Give the sequence number of the last message read."})
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
            raise ValidationError({"conversation": "No such conversation."})
        broadcast.to_conversation(tenant.id, conversation.id, {
            "type": "read", "by": "customer" if by_customer else "agent", "seq": row[0],
        })
    return int(row[0])
