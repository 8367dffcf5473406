"""Posting messages: sequence numbers, idempotent resends, who may speak in which state."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from chat import broadcast, events
from chat.models import ChatMessage, Conversation, Sender, Status
from chat.payloads import message_payload
from tenants.models import Tenant, User

MAX_TEXT = 4000
MAX_CLIENT_ID = 64


@dataclass(frozen=True)
class _Slot:
    seq: int
    status: str
    bot_silenced: bool
    assigned_agent_id: int | None


def _clean_text(text: object) -> str:
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


def _take_seq(tenant: Tenant, conversation_id: int) -> _Slot:
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
        raise ValidationError({"conversation": "No such conversation."})
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


def append(
    *, tenant: Tenant, conversation_id: int, slot: _Slot, sender: str, text: str, author: User | None = None,
    internal: bool = False, client_msg_id: str = "", meta: dict[str, object] | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> ChatMessage:
    """Store one message under a taken sequence number and broadcast it once the transaction commits."""
    message = ChatMessage.objects.create(
        tenant=tenant, conversation_id=conversation_id, seq=slot.seq, sender=sender, author=author,
        internal=internal, text=text, client_msg_id=client_msg_id, meta=meta or {}, attachments=attachments or [],
    )
    author_name = author.display_name if author is not None else ""
    broadcast.to_conversation(tenant.id, conversation_id, message_payload(message, author_name=author_name),
                              staff=internal)
    return message


def post_system(*, tenant: Tenant, conversation_id: int, text: str, internal: bool = False,
                meta: dict[str, object] | None = None) -> ChatMessage:
    slot = _take_seq(tenant, conversation_id)
    return append(tenant=tenant, conversation_id=conversation_id, slot=slot, sender=Sender.SYSTEM, text=text,
                  internal=internal, meta=meta)


@transaction.atomic
def post_customer_message(
    *, tenant: Tenant, conversation: Conversation, text: str, client_msg_id: str,
    attachments: list[dict[str, str]] | None = None,
) -> ChatMessage:
    """The customer wrote. A resend with the same client id returns the stored message and broadcasts nothing."""
    text, client_msg_id = _clean_text(text), _clean_client_id(client_msg_id)
    slot = _take_seq(tenant, conversation.id)
    # Checked under the row lock: a concurrent resend of the same id waits above, then finds ours here.
    existing = _existing(tenant, conversation.id, client_msg_id)
    if existing is not None:
        _give_back_seq(tenant, conversation.id)
        return existing
    if slot.status == Status.CLOSED:
        raise ValidationError({"conversation": "This conversation is closed. Start a new one."})
    message = append(tenant=tenant, conversation_id=conversation.id, slot=slot, sender=Sender.CUSTOMER, text=text,
                     client_msg_id=client_msg_id, attachments=attachments)
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


@transaction.atomic
def post_bot_reply(
    *, tenant: Tenant, conversation: Conversation, text: str, citations: list[dict[str, str]]
) -> ChatMessage | None:
    """The bot answers, only while the conversation is with the bot; otherwise nothing is posted (None)."""
    text = _clean_text(text)
    slot = _take_seq(tenant, conversation.id)
    if slot.status != Status.BOT or slot.bot_silenced:
        _give_back_seq(tenant, conversation.id)
        return None
    return append(tenant=tenant, conversation_id=conversation.id, slot=slot, sender=Sender.BOT, text=text,
                  meta={"citations": _clean_citations(citations)})


@transaction.atomic
def agent_reply(
    *, tenant: Tenant, conversation: Conversation, agent: User, text: str, client_msg_id: str = ""
) -> ChatMessage:
    """The assigned agent answers the customer (idempotent on the client id, like the customer's messages)."""
    text, client_msg_id = _clean_text(text), _clean_client_id(client_msg_id)
    slot = _take_seq(tenant, conversation.id)
    existing = _existing(tenant, conversation.id, client_msg_id)
    if existing is not None:
        _give_back_seq(tenant, conversation.id)
        return existing
    if slot.status != Status.AGENT or slot.assigned_agent_id != agent.id:
        raise PermissionDenied("Take the conversation over before replying.")
    return append(tenant=tenant, conversation_id=conversation.id, slot=slot, sender=Sender.AGENT, text=text,
                  author=agent, client_msg_id=client_msg_id)


@transaction.atomic
def note_add(
    *, tenant: Tenant, conversation: Conversation, agent: User, text: str, client_msg_id: str = ""
) -> ChatMessage:
    """An internal note: any agent of the tenant may add one; the customer never receives it."""
    text, client_msg_id = _clean_text(text), _clean_client_id(client_msg_id)
    slot = _take_seq(tenant, conversation.id)
    existing = _existing(tenant, conversation.id, client_msg_id)
    if existing is not None:
        _give_back_seq(tenant, conversation.id)
        return existing
    return append(tenant=tenant, conversation_id=conversation.id, slot=slot, sender=Sender.AGENT, text=text,
                  author=agent, internal=True, client_msg_id=client_msg_id)


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
