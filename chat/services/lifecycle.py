"""The conversation state machine: bot -> waiting -> agent -> closed, and reopen.

Every transition locks the conversation row, checks the current state, writes, and schedules its broadcasts and
events on commit. Once an agent takes over, ``bot_silenced`` stays set, so the bot never speaks again in it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chat import broadcast, events, selectors
from chat.bot_texts import bot_text, reply_language
from chat.models import ChatMessage, Conversation, Sender, Status
from chat.payloads import conversation_payload
from chat.services import presence
from chat.services.messages import post_system
from tenants.models import Tenant, User
from tenants.selectors import membership_for
from tickets.selectors import team_list

# The English notice (kept for importers); handoff() posts the one in the customer's language.
HANDOFF_NOTICE = bot_text("handoff", "en")


def _customer_language(tenant: Tenant, conversation: Conversation) -> str:
    """What the customer reads system lines in: the language detected from what they wrote, else the tenant's."""
    return reply_language(conversation.language, tenant.language)


def _lock(tenant: Tenant, conversation: Conversation) -> Conversation:
    locked = (
        Conversation.objects.for_tenant(tenant).select_for_update(of=("self",))
        .select_related("visitor", "assigned_agent").filter(id=conversation.id).first()
    )
    if locked is None:
        raise ValidationError({"conversation": _("No such conversation.")})
    return locked


def _save(tenant: Tenant, conversation: Conversation, fields: list[str]) -> Conversation:
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=[*fields, "updated_at"])
    fresh = selectors.conversation_get(tenant=tenant, conversation_id=conversation.id)
    payload = conversation_payload(fresh)
    broadcast.to_lobby(tenant.id, payload)
    broadcast.to_conversation(tenant.id, fresh.id, {"type": "status", "status": fresh.status,
                                                     "agent": payload["assigned_agent_name"]})
    return fresh


def _clean_sources(sources: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"title": str(s.get("title", ""))[:200], "url": str(s.get("url", ""))[:500]}
        for s in sources or [] if isinstance(s, dict)
    ]


def _offer(tenant: Tenant, conversation: Conversation) -> None:
    """Routing: only agents who are online now get the new-chat notification.

    Online in the database and with a live console socket: an agent whose web process died keeps "online" in the
    database until here, where they are set offline (chat/services/presence.py).
    """
    payload = {**conversation_payload(conversation), "type": "offer"}
    online = list(selectors.available_agents(tenant=tenant))
    live = presence.connected(tenant=tenant, memberships=online)
    presence.mark_gone(tenant=tenant, memberships=[m for m in online if m not in live])
    for membership in live:
        broadcast.to_agent(tenant.id, membership.user_id, payload)


@transaction.atomic
def handoff(*, tenant: Tenant, conversation: Conversation, summary: str, sources: list[dict[str, Any]],
            reason: str, language: str = "") -> Conversation:
    """The bot (or the customer's "talk to a human" button) hands the conversation to the agents' queue.

    ``language`` is the customer's detected language code; the notice they see is in it. Without one (the
    button) it is the conversation's language from triage of the customer's latest message, else the tenant's.
    """
    conversation = _lock(tenant, conversation)
    if conversation.status == Status.CLOSED:
        raise ValidationError({"conversation": _("This conversation is closed.")})
    if conversation.status != Status.BOT:
        return conversation  # already waiting for or with a human: a second request changes nothing
    conversation.status = Status.WAITING
    conversation.handoff_reason = str(reason)[:40]
    conversation.handoff_summary = str(summary)[:4000]
    conversation.handoff_sources = _clean_sources(sources)
    with translation.override(tenant.language):  # a note for the tenant's agents, stored as written
        note = _("Hand-off (%(reason)s): %(summary)s") % {"reason": reason, "summary": summary}
    post_system(tenant=tenant, conversation_id=conversation.id, text=note, internal=True,
                meta={"sources": conversation.handoff_sources})
    notice = bot_text("handoff", reply_language(language, _customer_language(tenant, conversation)))
    post_system(tenant=tenant, conversation_id=conversation.id, text=notice)
    conversation.refresh_from_db(fields=["last_seq"])
    fresh = _save(tenant, conversation, ["status", "handoff_reason", "handoff_summary", "handoff_sources"])
    _offer(tenant, fresh)
    transaction.on_commit(partial(events.conversation_handed_off.send, sender=Conversation,
                                  tenant_id=tenant.id, conversation_id=fresh.id))
    return fresh


def customer_handoff_summary(*, tenant: Tenant, conversation: Conversation) -> str:
    said = [m.text for m in selectors.recent_messages(tenant=tenant, conversation=conversation, limit=10)
            if m.sender == Sender.CUSTOMER][-3:]
    quoted = " / ".join(text[:200] for text in said)
    return "The customer asked to talk to a person." + (f" They wrote: {quoted}" if quoted else "")


def _require_member(tenant: Tenant, user: User) -> None:
    if membership_for(tenant=tenant, user=user) is None:
        raise PermissionDenied(_("Only the help desk's agents can do this."))


@transaction.atomic
def agent_take_over(*, tenant: Tenant, conversation: Conversation, agent: User) -> Conversation:
    """An agent takes the conversation (from the queue or straight from the bot); the bot is silenced for good."""
    _require_member(tenant, agent)
    conversation = _lock(tenant, conversation)
    if conversation.status == Status.CLOSED:
        raise ValidationError({"conversation": _("This conversation is closed.")})
    if conversation.status == Status.AGENT:
        if conversation.assigned_agent_id == agent.id:
            return conversation
        raise ValidationError({"conversation": _("Another agent already has this conversation.")})
    conversation.status = Status.AGENT
    conversation.assigned_agent = agent
    conversation.bot_silenced = True
    conversation.team = ""
    text = bot_text("agent_joined", _customer_language(tenant, conversation)).format(agent=agent.display_name)
    post_system(tenant=tenant, conversation_id=conversation.id, text=text)
    conversation.refresh_from_db(fields=["last_seq"])
    return _save(tenant, conversation, ["status", "assigned_agent", "bot_silenced", "team"])


@transaction.atomic
def transfer(*, tenant: Tenant, conversation: Conversation, actor: User, to_agent: User | None = None,
             team: str = "") -> Conversation:
    """Hand the conversation to another agent (who holds it at once) or to a team's queue (waiting)."""
    _require_member(tenant, actor)
    if (to_agent is None) == (not team.strip()):
        raise ValidationError({"target": _("Choose either an agent or a team.")})
    conversation = _lock(tenant, conversation)
    if conversation.status == Status.CLOSED:
        raise ValidationError({"conversation": _("This conversation is closed.")})
    if to_agent is not None:
        if membership_for(tenant=tenant, user=to_agent) is None:
            raise ValidationError({"agent": _("Choose an agent of this help desk.")})
        conversation.status, conversation.assigned_agent, conversation.team = Status.AGENT, to_agent, ""
        text = bot_text("transferred_to_agent", _customer_language(tenant, conversation)).format(
            actor=actor.display_name, agent=to_agent.display_name)
    else:
        if not team_list(tenant=tenant).filter(name=team.strip()).exists():
            raise ValidationError({"team": _("Choose a team of this help desk.")})
        conversation.status, conversation.assigned_agent, conversation.team = Status.WAITING, None, team.strip()[:80]
        text = bot_text("transferred_to_team", _customer_language(tenant, conversation)).format(
            actor=actor.display_name, team=conversation.team)
    conversation.bot_silenced = True
    post_system(tenant=tenant, conversation_id=conversation.id, text=text)
    conversation.refresh_from_db(fields=["last_seq"])
    fresh = _save(tenant, conversation, ["status", "assigned_agent", "team", "bot_silenced"])
    if to_agent is not None:
        broadcast.to_agent(tenant.id, to_agent.id, {**conversation_payload(fresh), "type": "assigned"})
    else:
        _offer(tenant, fresh)
    return fresh


def conversation_transcript(*, tenant: Tenant, conversation: Conversation,
                            include_internal: bool = False) -> list[dict[str, Any]]:
    """The whole conversation, oldest first: items {sender, text, created_at (datetime), author, attachments}.

    ``sender`` is customer, agent, bot or system (what tickets.services.ticket_create_from_chat takes);
    ``attachments`` is the metadata of the message's files ({id, filename, content_type, size}).
    """
    messages = ChatMessage.objects.for_tenant(tenant).filter(conversation=conversation).select_related("author")
    if not include_internal:
        messages = messages.filter(internal=False)
    return [
        {"sender": m.sender, "text": m.text, "created_at": m.created_at,
         "author": m.author.display_name if m.author is not None else "", "attachments": list(m.attachments)}
        for m in messages.order_by("seq")
    ]


def _ticket_transcript(tenant: Tenant, conversation: Conversation) -> list[dict[str, Any]]:
    """The transcript with each message's files as tickets.services.AttachmentIn: the ticket gets its own copies,
    so it stands alone (shown in its thread, sent with email replies) whatever later happens to the chat."""
    from tickets.services import AttachmentIn

    transcript = conversation_transcript(tenant=tenant, conversation=conversation)
    ids = [meta["id"] for item in transcript for meta in item["attachments"]]
    files = selectors.attachment_files(tenant=tenant, conversation=conversation, ids=ids)
    for item in transcript:
        item["attachments"] = [
            AttachmentIn(files[meta["id"]].filename, files[meta["id"]].content_type, bytes(files[meta["id"]].data))
            for meta in item["attachments"] if meta["id"] in files
        ]
    return transcript


def _make_ticket(tenant: Tenant, conversation: Conversation) -> int:
    # Imported here: the tickets app is a dependency of chat, but only this use case needs it.
    from tickets.services import ticket_create_from_chat

    visitor = conversation.visitor
    first = next((m for m in selectors.recent_messages(tenant=tenant, conversation=conversation, limit=200)
                  if m.sender == Sender.CUSTOMER and m.text), None)
    subject = f"Chat: {first.text[:80]}" if first is not None else f"Chat with {visitor}"
    ticket = ticket_create_from_chat(
        tenant=tenant, customer_email=visitor.email, customer_name=visitor.name, subject=subject,
        transcript=_ticket_transcript(tenant, conversation),
    )
    return int(ticket.id)


@transaction.atomic
def close(*, tenant: Tenant, conversation: Conversation, actor: User | None, resolved: bool) -> Conversation:
    """End the conversation. Unresolved ones become a ticket that carries the whole transcript."""
    if actor is not None:
        _require_member(tenant, actor)
    conversation = _lock(tenant, conversation)
    if conversation.status == Status.CLOSED:
        return conversation
    language = _customer_language(tenant, conversation)
    text = (bot_text("closed_by", language).format(actor=actor.display_name) if actor is not None
            else bot_text("closed", language))
    post_system(tenant=tenant, conversation_id=conversation.id, text=text)
    conversation.refresh_from_db(fields=["last_seq"])
    conversation.status, conversation.resolved, conversation.closed_at = Status.CLOSED, resolved, timezone.now()
    if not resolved and conversation.ticket_id is None:
        conversation.ticket_id = _make_ticket(tenant, conversation)
    return _save(tenant, conversation, ["status", "resolved", "closed_at", "ticket"])


@transaction.atomic
def convert_to_ticket(*, tenant: Tenant, conversation: Conversation, actor: User) -> Conversation:
    """An agent turns the chat into a ticket (for follow-up by email): it closes unresolved with the transcript."""
    current = _lock(tenant, conversation)
    if current.status != Status.CLOSED:
        return close(tenant=tenant, conversation=current, actor=actor, resolved=False)
    _require_member(tenant, actor)
    if current.ticket_id is None:
        current.ticket_id = _make_ticket(tenant, current)
        return _save(tenant, current, ["ticket"])
    return current


@transaction.atomic
def reopen(*, tenant: Tenant, conversation: Conversation, actor: User) -> Conversation:
    """Back to the queue (or the bot, if no human ever took it); a silenced bot stays silent."""
    _require_member(tenant, actor)
    conversation = _lock(tenant, conversation)
    if conversation.status != Status.CLOSED:
        raise ValidationError({"conversation": _("Only closed conversations can be reopened.")})
    conversation.status = Status.WAITING if conversation.bot_silenced else Status.BOT
    conversation.assigned_agent, conversation.closed_at, conversation.resolved = None, None, None
    text = bot_text("reopened_by", _customer_language(tenant, conversation)).format(actor=actor.display_name)
    post_system(tenant=tenant, conversation_id=conversation.id, text=text)
    conversation.refresh_from_db(fields=["last_seq"])
    return _save(tenant, conversation, ["status", "assigned_agent", "closed_at", "resolved"])


@transaction.atomic
def rate(*, tenant: Tenant, conversation: Conversation, score: int, comment: str = "") -> Conversation:
    """The customer's CSAT answer (1 to 5) once the chat has closed; one answer per conversation."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationError({"score": _("Rate from 1 to 5.")})
    if not isinstance(comment, str) or len(comment) > 2000:
        raise ValidationError({"comment": _("Keep the comment under 2,000 characters.")})
    conversation = _lock(tenant, conversation)
    if conversation.status != Status.CLOSED:
        raise ValidationError({"score": _("You can rate the chat once it has ended.")})
    if conversation.csat_score is not None:
        raise ValidationError({"score": _("Thanks, this chat has already been rated.")})
    conversation.csat_score, conversation.csat_comment = score, comment.strip()
    fresh = _save(tenant, conversation, ["csat_score", "csat_comment"])
    broadcast.to_conversation(tenant.id, fresh.id, {"type": "rated", "score": score, "comment": fresh.csat_comment},
                              staff=True)
    return fresh
