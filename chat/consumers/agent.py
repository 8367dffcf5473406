"""The agent console's socket: /ws/t/<slug>/chat/ (signed-in members only)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.utils.translation import gettext

from chat import broadcast, selectors, services
from chat.consumers.base import CLOSE_NOT_FOUND, ChatSocket, FrameError, client_id_field, int_field
from chat.models import Conversation
from chat.payloads import conversation_payload, message_payload
from chat.services import presence
from helpdesk.sockets import CLOSE_REVOKED
from tenants.models import Membership, Tenant
from tenants.selectors import member_list

logger = logging.getLogger(__name__)
MEMBER_RECHECK_S = 5.0


def _console_state(
    tenant: Tenant, membership: Membership, socket_id: str
) -> tuple[dict[str, Any], list[Conversation]]:
    current = presence.console_opened(tenant=tenant, membership=membership, socket_id=socket_id)
    user = membership.user
    mine = list(selectors.agent_conversations(tenant=tenant, agent=user))
    state = {
        "type": "hello", "presence": current, "me": user.id,
        "counts": selectors.status_counts(tenant=tenant, agent=user),
        "waiting": [conversation_payload(c) for c in selectors.waiting_conversations(tenant=tenant)[:100]],
        "mine": [conversation_payload(c) for c in mine],
    }
    return state, mine


def _still_member(tenant: Tenant, user_id: int) -> bool:
    return Membership.objects.for_tenant(tenant).filter(user_id=user_id).exists()


def _watch(tenant: Tenant, conversation_id: int, after: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    conversation = selectors.conversation_get(tenant=tenant, conversation_id=conversation_id)
    messages = selectors.messages_after(tenant=tenant, conversation=conversation, after=after, include_internal=True)
    history = [dict(message_payload(m, tenant_slug=tenant.slug, author_name=m.author.display_name if m.author else ""))
               for m in messages]
    return dict(conversation_payload(conversation)), history


class AgentChatConsumer(ChatSocket):
    handlers = {"watch": "watch", "unwatch": "unwatch", "take": "take", "reply": "reply", "note": "note",
                "transfer": "transfer_chat", "close": "close_chat", "convert": "convert", "reopen": "reopen",
                "typing": "typing", "read": "read", "presence": "set_presence", "ping": "ping"}

    async def connect(self) -> None:
        self.setup_delivery()
        tenant, membership = self.scope.get("tenant"), self.scope.get("membership")
        if tenant is None or membership is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.tenant, self.membership, self.user = tenant, membership, membership.user
        self.conversations: dict[int, Conversation] = {}
        self.member_checked_at = time.monotonic()
        await self.close_when_removed(tenant.id, self.user.id)
        await self.accept()
        await self.join(broadcast.lobby_group(tenant.id))
        await self.join(broadcast.agent_group(tenant.id, self.user.id))
        state, mine = await self.db(_console_state, tenant=tenant, membership=membership,
                                    socket_id=self.channel_name)
        self.closing = False
        self.heartbeat = asyncio.create_task(self._heartbeat())
        for conversation in mine:
            self.conversations[conversation.id] = conversation
            await self.join_conversation(conversation.id)
        await self.send_json(state)

    async def _heartbeat(self) -> None:
        """Keep this socket counted as open (chat/services/presence.py); a dead process stops doing this."""
        beat = sync_to_async(presence.console_heartbeat, thread_sensitive=False)
        while True:
            await asyncio.sleep(presence.HEARTBEAT_S)
            try:
                alive = await beat(tenant_id=self.tenant.id, membership_id=self.membership.id,
                                   socket_id=self.channel_name)
                if not alive and not self.closing:
                    await self.db(presence.console_opened, tenant=self.tenant, membership=self.membership,
                                  socket_id=self.channel_name)
            except Exception:  # Redis or the database briefly away: try again at the next beat
                logger.warning("chat presence heartbeat failed", exc_info=True)

    async def disconnect(self, code: int) -> None:
        self.closing = True
        await super().disconnect(code)
        if getattr(self, "heartbeat", None) is not None:
            self.heartbeat.cancel()
        if getattr(self, "membership", None) is not None:
            await self.db(presence.console_closed, tenant=self.tenant, membership=self.membership,
                          socket_id=self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """A removed member's socket is closed by a broadcast; should that be lost (Redis away), the membership is
        also checked again before a frame once it is more than a few seconds old."""
        if time.monotonic() - self.member_checked_at > MEMBER_RECHECK_S:
            if not await self.db(_still_member, tenant=self.tenant, user_id=self.user.id):
                await self.close(code=CLOSE_REVOKED)
                return
            self.member_checked_at = time.monotonic()
        await super().receive_json(content, **kwargs)

    async def join_conversation(self, conversation_id: int) -> None:
        await self.join(broadcast.conversation_group(self.tenant.id, conversation_id))
        await self.join(broadcast.conversation_group(self.tenant.id, conversation_id, staff=True))

    def _conversation(self, content: dict[str, Any]) -> Conversation:
        """Runs in the DB thread: the one accessor, so another tenant's id is the same 404 as a missing one.

        Kept per socket once found: the services re-read the state they act on under the row lock anyway.
        """
        conversation_id = int_field(content, "conversation")
        found = self.conversations.get(conversation_id)
        if found is None:
            found = selectors.conversation_get(tenant=self.tenant, conversation_id=conversation_id)
            self.conversations[conversation_id] = found
        return found

    async def watch(self, content: dict[str, Any]) -> None:
        conversation_id, after = int_field(content, "conversation"), int_field(content, "after", default=0)
        # Join before reading, so nothing committed in between is missed (see ChatSocket.chat_event). Group names
        # carry our tenant id, so joining with another tenant's id would receive nothing anyway.
        await self.join_conversation(conversation_id)
        try:
            conversation, history = await self.db(_watch, tenant=self.tenant, conversation_id=conversation_id,
                                                  after=after)
        except Exception:
            await self.unwatch(content)
            raise
        self.history_max[conversation_id] = after
        await self.send_json(conversation)
        await self.send_history(conversation_id, history)

    async def unwatch(self, content: dict[str, Any]) -> None:
        conversation_id = int_field(content, "conversation")
        await self.leave(broadcast.conversation_group(self.tenant.id, conversation_id))
        await self.leave(broadcast.conversation_group(self.tenant.id, conversation_id, staff=True))

    async def take(self, content: dict[str, Any]) -> None:
        conversation = await self.db(lambda: services.agent_take_over(
            tenant=self.tenant, conversation=self._conversation(content), agent=self.user))
        await self.join_conversation(conversation.id)

    async def reply(self, content: dict[str, Any]) -> None:
        await self._post(content, services.agent_reply)

    async def note(self, content: dict[str, Any]) -> None:
        await self._post(content, services.note_add)

    async def _post(self, content: dict[str, Any], service: Any) -> None:
        """A reply or note is stored once per client id (chat/services/messages.py): the console resends what the
        server has not echoed after every reconnect."""
        client_msg_id = client_id_field(content)
        if int_field(content, "conversation") not in self.conversations:
            await self.db(self._conversation, content=content)  # found once per socket (or a 404), in the tenant
        conversation = self.conversations[content["conversation"]]
        message = await self.db_statement(  # posting scopes itself to the tenant (chat/services/messages.py)
            service, tenant=self.tenant, conversation=conversation, agent=self.user, text=content.get("text"),
            client_msg_id=client_msg_id, attachment_ids=content.get("attachments"))
        await self.ack(message, author_name=self.user.display_name, conversation=message.conversation_id)

    def _transfer(self, content: dict[str, Any]) -> Conversation:
        to_agent = None
        if content.get("agent") is not None:
            user_id = int_field(content, "agent")
            member = member_list(tenant=self.tenant).filter(user_id=user_id).first()
            if member is None:
                raise FrameError("invalid", gettext("Choose an agent of this help desk."),
                                 {"agent": [gettext("Unknown agent.")]})
            to_agent = member.user
        team = content.get("team") or ""
        if not isinstance(team, str):
            raise FrameError("invalid", gettext("'team' must be a name."), {"team": [gettext("Give a team name.")]})
        return services.transfer(tenant=self.tenant, conversation=self._conversation(content), actor=self.user,
                                 to_agent=to_agent, team=team)

    async def transfer_chat(self, content: dict[str, Any]) -> None:
        await self.db(self._transfer, content=content)

    async def close_chat(self, content: dict[str, Any]) -> None:
        resolved = content.get("resolved", True)
        if not isinstance(resolved, bool):
            raise FrameError("invalid", gettext("'resolved' must be true or false."),
                             {"resolved": [gettext("true or false")]})
        await self.db(lambda: services.close(tenant=self.tenant, conversation=self._conversation(content),
                                             actor=self.user, resolved=resolved))

    async def convert(self, content: dict[str, Any]) -> None:
        await self.db(lambda: services.convert_to_ticket(
            tenant=self.tenant, conversation=self._conversation(content), actor=self.user))

    async def reopen(self, content: dict[str, Any]) -> None:
        await self.db(lambda: services.reopen(
            tenant=self.tenant, conversation=self._conversation(content), actor=self.user))

    async def typing(self, content: dict[str, Any]) -> None:
        conversation_id = int_field(content, "conversation")
        group = broadcast.conversation_group(self.tenant.id, conversation_id)
        if group not in self.groups_joined:
            raise FrameError("invalid", gettext("Watch the conversation first."))
        await self.channel_layer.group_send(group, {"type": broadcast.EVENT, "payload": {
            "type": "typing", "who": "agent", "conversation": conversation_id}})

    async def read(self, content: dict[str, Any]) -> None:
        seq = int_field(content, "seq")
        await self.db(lambda: services.mark_read(
            tenant=self.tenant, conversation=self._conversation(content), by_customer=False, seq=seq))

    async def set_presence(self, content: dict[str, Any]) -> None:
        """Answered by a "presence" frame to every console tab of the agent, this one included."""
        chosen = content.get("presence")
        if chosen not in ("online", "away"):
            raise FrameError("invalid", gettext("Presence is 'online' or 'away'."),
                             {"presence": [gettext("online or away")]})
        await self.db(presence.presence_choose, tenant=self.tenant, membership=self.membership, presence=chosen)

    async def on_event(self, payload: dict[str, Any]) -> None:
        if payload.get("type") == "typing" and payload.get("who") == "agent":
            return
        if payload.get("type") == "assigned" and payload.get("assigned_agent") == self.user.id:
            await self.join_conversation(payload["id"])
        await self.send_json(payload)
