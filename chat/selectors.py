"""Reads of the chat app. Every function filters by tenant; row-level security is the backstop."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from chat.models import ChatAttachment, ChatMessage, ChatSettings, Conversation, Sender, Status, Visitor
from tenants.models import Membership, Tenant, User


def chat_settings_get(*, tenant: Tenant) -> ChatSettings:
    """The tenant's chat settings, or unsaved defaults when the admin never saved any."""
    found = ChatSettings.objects.for_tenant(tenant).first()
    return found if found is not None else ChatSettings(tenant=tenant)


def visitor_by_key(*, tenant: Tenant, key: str) -> Visitor | None:
    return Visitor.objects.for_tenant(tenant).filter(key=key).first()


def _conversations(tenant: Tenant) -> QuerySet[Conversation]:
    return Conversation.objects.for_tenant(tenant).select_related("visitor", "assigned_agent")


def conversation_get(*, tenant: Tenant, conversation_id: int) -> Conversation:
    """The one accessor by id: another tenant's conversation and a missing one are the same 404."""
    conversation = _conversations(tenant).filter(id=conversation_id).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def conversation_of_ticket(*, tenant: Tenant, ticket_id: int) -> Conversation | None:
    """The conversation a ticket was made from (closed unresolved or converted), if any."""
    return _conversations(tenant).filter(ticket_id=ticket_id).order_by("-id").first()


def conversation_of_visitor(*, tenant: Tenant, visitor: Visitor) -> Conversation | None:
    """The visitor's latest conversation (open or closed: a closed one still shows its transcript and rating)."""
    return _conversations(tenant).filter(visitor=visitor).order_by("-created_at", "-id").first()


def waiting_conversations(*, tenant: Tenant) -> QuerySet[Conversation]:
    return _conversations(tenant).filter(status=Status.WAITING).order_by("updated_at")


def agent_conversations(*, tenant: Tenant, agent: User) -> QuerySet[Conversation]:
    return _conversations(tenant).filter(status=Status.AGENT, assigned_agent=agent).order_by("-updated_at")


def bot_conversations(*, tenant: Tenant, limit: int = 50) -> QuerySet[Conversation]:
    return _conversations(tenant).filter(status=Status.BOT).order_by("-updated_at")[:limit]


def recently_closed(*, tenant: Tenant, limit: int = 20) -> QuerySet[Conversation]:
    return _conversations(tenant).filter(status=Status.CLOSED).order_by("-closed_at")[:limit]


def status_counts(*, tenant: Tenant, agent: User) -> dict[str, int]:
    counts = Conversation.objects.for_tenant(tenant).aggregate(
        waiting=Count("id", filter=Q(status=Status.WAITING)),
        bot=Count("id", filter=Q(status=Status.BOT)),
        mine=Count("id", filter=Q(status=Status.AGENT, assigned_agent=agent)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def messages_after(
    *, tenant: Tenant, conversation: Conversation, after: int, include_internal: bool, limit: int = 500
) -> list[ChatMessage]:
    """What a (re)connecting client missed: every message with a sequence number above ``after``, in order."""
    messages = ChatMessage.objects.for_tenant(tenant).filter(conversation=conversation, seq__gt=after)
    if not include_internal:
        messages = messages.filter(internal=False)
    return list(messages.select_related("author").order_by("seq")[:limit])


def recent_messages(*, tenant: Tenant, conversation: Conversation, limit: int = 10) -> list[ChatMessage]:
    """The last ``limit`` customer-visible turns, oldest first (the AI answers with them as context)."""
    messages = (
        ChatMessage.objects.for_tenant(tenant).filter(conversation=conversation, internal=False)
        .select_related("author").order_by("-seq")[:limit]
    )
    return list(reversed(list(messages)))


def available_agents(*, tenant: Tenant) -> QuerySet[Membership]:
    """Members who may be offered a chat now: online ones only (away and offline agents are skipped)."""
    return Membership.objects.for_tenant(tenant).filter(presence="online").select_related("user")


def _files(tenant: Tenant) -> QuerySet[ChatAttachment]:
    return ChatAttachment.objects.for_tenant(tenant)


def attachment_get(*, tenant: Tenant, attachment_id: int) -> ChatAttachment:
    """For the tenant's agents: any file of any of its conversations; another tenant's id is the same 404."""
    found = _files(tenant).filter(id=attachment_id).first()
    if found is None:
        raise Http404("No such attachment.")
    return found


def attachment_for_visitor(*, tenant: Tenant, visitor: Visitor, attachment_id: int) -> ChatAttachment:
    """For a customer: their own uploads, and the agents' files that were sent to them in a public message (not
    an agent's unsent upload, nor a file on an internal note). Anything else is the same 404."""
    found = _files(tenant).filter(id=attachment_id, conversation__visitor=visitor).first()
    if found is None:
        raise Http404("No such attachment.")
    if found.side != Sender.CUSTOMER and not ChatMessage.objects.for_tenant(tenant).filter(
        conversation_id=found.conversation_id, internal=False, attachments__contains=[{"id": found.id}],
    ).exists():
        raise Http404("No such attachment.")
    return found


def attachment_files(*, tenant: Tenant, conversation: Conversation, ids: list[int]) -> dict[int, ChatAttachment]:
    """The files (with their bytes) of a conversation by id: what a ticket made from the chat copies."""
    if not ids:
        return {}
    return {a.id: a for a in _files(tenant).filter(conversation=conversation, id__in=ids)}
