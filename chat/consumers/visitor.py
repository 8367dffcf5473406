"""The customer's socket: /ws/c/<slug>/visitor/?token=...&after=<seq>."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from chat import broadcast, selectors, services
from chat.consumers.base import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    ChatSocket,
    FrameError,
    client_id_field,
    int_field,
    query_params,
)
from chat.models import Conversation, Status, Visitor
from chat.payloads import message_payload
from helpdesk import ratelimit
from helpdesk.sockets import origin_allowed
from tenants.models import Tenant


def _open(tenant: Tenant, token: str) -> tuple[Visitor, Conversation, dict[str, Any]] | None:
    visitor = services.visitor_from_token(tenant=tenant, token=token)
    if visitor is None:
        return None
    conversation = selectors.conversation_of_visitor(tenant=tenant, visitor=visitor)
    if conversation is None:
        conversation = services.chat_start(tenant=tenant, visitor=visitor).conversation
    settings = selectors.chat_settings_get(tenant=tenant)
    limits = {"origins": settings.origins, "visitor": settings.visitor_messages_per_minute,
              "tenant": settings.tenant_messages_per_minute, "welcome": settings.welcome}
    return visitor, conversation, limits


def _history(tenant: Tenant, conversation: Conversation, after: int) -> list[dict[str, Any]]:
    messages = selectors.messages_after(tenant=tenant, conversation=conversation, after=after, include_internal=False)
    return [dict(message_payload(m, tenant_slug=tenant.slug, author_name=m.author.display_name if m.author else ""))
            for m in messages]


class VisitorConsumer(ChatSocket):
    handlers = {"message": "message", "resume": "resume", "typing": "typing", "read": "read",
                "handoff": "talk_to_human", "rate": "rate_chat", "new": "new_conversation", "ping": "ping"}

    def language(self) -> str:
        """A customer's socket speaks the tenant's language, as its pages do."""
        return self.tenant.language

    async def connect(self) -> None:
        self.setup_delivery()
        tenant = self.scope.get("tenant")
        token = query_params(self.scope).get("token", "")
        opened = await self.db_for(tenant, token) if tenant is not None and token else None
        if opened is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.visitor, self.conversation, self.limits = opened
        if not origin_allowed(self.scope, self.limits["origins"]):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()
        try:
            after = int(query_params(self.scope).get("after", "0"))
        except ValueError:
            after = 0
        await self.attach(max(after, 0))

    async def db_for(self, tenant: Tenant, token: str) -> tuple[Visitor, Conversation, dict[str, Any]] | None:
        self.tenant = tenant
        return await self.db(_open, tenant=tenant, token=token)

    async def attach(self, after: int) -> None:
        """Join the conversation's group first, then read what was missed (see ChatSocket.chat_event)."""
        conversation = self.conversation
        await self.join(broadcast.conversation_group(self.tenant.id, conversation.id))
        await self.send_json({
            "type": "hello", "conversation": conversation.id, "status": conversation.status,
            "visitor": self.visitor.name, "welcome": self.limits["welcome"],
            "rated": conversation.csat_score is not None,
        })
        self.history_max[conversation.id] = after
        await self.send_history(conversation.id, await self.db(
            _history, tenant=self.tenant, conversation=conversation, after=after))

    async def resume(self, content: dict[str, Any]) -> None:
        await self.attach(int_field(content, "after", default=0))

    def _post(self, text: Any, client_msg_id: Any, attachment_ids: Any) -> Any:
        over = ratelimit.hits(scopes=[
            (f"chat:v:{self.tenant.id}:{self.visitor.id}", self.limits["visitor"]),
            (f"chat:t:{self.tenant.id}", self.limits["tenant"]),
        ])
        if over is not None:
            raise FrameError("rate_limited", gettext("Too many messages from you; wait a moment and try again.")
                             if ":v:" in over else
                             gettext("Too many messages from this help desk; wait a moment and try again."))
        return services.post_customer_message(
            tenant=self.tenant, conversation=self.conversation, text=text, client_msg_id=client_msg_id,
            attachment_ids=attachment_ids)

    async def message(self, content: dict[str, Any]) -> None:
        message = await self.db_statement(self._post, text=content.get("text"), client_msg_id=client_id_field(content),
                                          attachment_ids=content.get("attachments"))
        await self.ack(message)

    async def typing(self, content: dict[str, Any]) -> None:
        await self.channel_layer.group_send(
            broadcast.conversation_group(self.tenant.id, self.conversation.id),
            {"type": broadcast.EVENT, "payload": {"type": "typing", "who": "customer",
                                                   "conversation": self.conversation.id}},
        )

    async def read(self, content: dict[str, Any]) -> None:
        await self.db(services.mark_read, tenant=self.tenant, conversation=self.conversation, by_customer=True,
                      seq=int_field(content, "seq"))

    def _handoff(self) -> Conversation:
        conversation = selectors.conversation_get(tenant=self.tenant, conversation_id=self.conversation.id)
        summary = services.customer_handoff_summary(tenant=self.tenant, conversation=conversation)
        return services.handoff(tenant=self.tenant, conversation=conversation, summary=summary, sources=[],
                                reason="customer_request")

    async def talk_to_human(self, content: dict[str, Any]) -> None:
        self.conversation = await self.db(self._handoff)

    def _rate(self, score: Any, comment: Any) -> Conversation:
        conversation = selectors.conversation_get(tenant=self.tenant, conversation_id=self.conversation.id)
        return services.rate(tenant=self.tenant, conversation=conversation, score=score, comment=comment)

    async def rate_chat(self, content: dict[str, Any]) -> None:
        self.conversation = await self.db(self._rate, score=content.get("score"), comment=content.get("comment", ""))
        await self.send_json({"type": "rated", "score": self.conversation.csat_score})

    def _new(self) -> Conversation:
        current = selectors.conversation_get(tenant=self.tenant, conversation_id=self.conversation.id)
        if current.status != Status.CLOSED:
            raise FrameError("invalid", gettext("Your current conversation is still open."))
        return services.chat_start(tenant=self.tenant, visitor=self.visitor).conversation

    async def new_conversation(self, content: dict[str, Any]) -> None:
        conversation = await self.db(self._new)
        await self.leave(broadcast.conversation_group(self.tenant.id, self.conversation.id))
        self.conversation = conversation
        await self.attach(0)

    async def on_event(self, payload: dict[str, Any]) -> None:
        if payload.get("type") == "typing" and payload.get("who") == "customer":
            return  # one's own typing
        if payload.get("type") == "status":
            self.conversation.status = payload["status"]
        await self.send_json(payload)
