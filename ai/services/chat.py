"""A customer's chat message: the bot replies with citations, hands off with a summary, or (when an
agent holds the conversation) leaves a suggestion that is pushed live to the agents watching it."""

from __future__ import annotations

from django.utils import translation

from ai import answering, chat_queue
from ai.backends.generation import Turn
from ai.models import Suggestion, Trace
from ai.payloads import suggestion_payload
from ai.retrieval import kb_search
from ai.services.replies import suggestion_save
from ai.services.settings import answer_options, settings_get
from ai.services.traces import trace_record
from ai.services.triage import chat_triage
from chat import selectors as chat_selectors
from chat import services as chat_services
from chat.bot_texts import bot_text, reply_language
from chat.models import ChatMessage, Conversation, Sender, Status
from tenants.models import Tenant
from tenants.rls import tenant_context

HISTORY = 10


def _turns(messages: list[ChatMessage], current: ChatMessage) -> list[Turn]:
    return [Turn("customer" if m.sender == Sender.CUSTOMER else "assistant", m.text) for m in messages
            if m.id != current.id and m.seq < current.seq and m.sender in (Sender.CUSTOMER, Sender.BOT, Sender.AGENT)]


def chat_answer(*, tenant: Tenant, message_id: int) -> Trace | None:
    """Runs for a conversation's newest customer message (ai/chat_queue.py). Posts only while the conversation is
    with the bot and auto-reply is on; otherwise leaves a suggestion for the agent. Once per message: a task
    delivered twice finds the first run's trace and does nothing."""
    message = ChatMessage.objects.for_tenant(tenant).select_related("conversation").filter(id=message_id).first()
    if message is None or message.sender != Sender.CUSTOMER:
        return None
    if Trace.objects.for_tenant(tenant).filter(kind=Trace.Kind.CHAT_ANSWER, source_id=message.id).exists():
        return None
    conversation: Conversation = message.conversation
    settings = settings_get(tenant=tenant)
    history = _turns(chat_selectors.recent_messages(tenant=tenant, conversation=conversation, limit=HISTORY),
                     message)
    with translation.override(tenant.language):  # its hand-off summary is for the tenant's agents
        outcome = answering.answer(text=message.text, history=history, search=kb_search(tenant=tenant),
                                   options=answer_options(settings))
    bot_on_duty = conversation.status == Status.BOT and not conversation.bot_silenced and settings.auto_reply_chat
    delivered = False
    if bot_on_duty and outcome.action in ("answer", "suggest"):
        # Not sure enough to answer, but with good candidates: offer them; "Talk to a human" stays beside them.
        language = reply_language(outcome.language, reply_language(conversation.language, tenant.language))
        text = outcome.text if outcome.action == "answer" else bot_text("suggest_intro", language)
        delivered = chat_services.post_bot_reply(tenant=tenant, conversation=conversation, text=text,
                                                 citations=outcome.citations) is not None
    elif bot_on_duty:
        chat_services.handoff(tenant=tenant, conversation=conversation, summary=outcome.summary,
                              sources=outcome.sources, reason=outcome.reason, language=outcome.language)
    if not bot_on_duty and settings.suggestions_enabled and conversation.status != Status.CLOSED:
        # An agent holds the conversation (or auto-reply is off): the answer becomes a suggestion in the console.
        suggestion = suggestion_save(tenant=tenant, source="chat", message_id=message.id, outcome=outcome,
                                     conversation_id=conversation.id)
        suggestion_publish(tenant=tenant, conversation=conversation, suggestion=suggestion)
    return trace_record(tenant=tenant, kind=Trace.Kind.CHAT_ANSWER, source_id=message.id, outcome=outcome,
                        conversation_id=conversation.id, delivered=delivered)


def chat_answer_failed(*, tenant_id: int, conversation_id: int) -> None:
    """The answer task failed for good: a person takes over rather than the customer waiting on silence, and the
    conversation's marker is cleared so that its next line is answered again (ai/chat_queue.py)."""
    chat_queue.chat_message_forget(tenant_id=tenant_id, conversation_id=conversation_id)
    with tenant_context(tenant_id):
        tenant = Tenant.objects.get(id=tenant_id)
        conversation = Conversation.objects.for_tenant(tenant).filter(id=conversation_id).first()
        if conversation is None or conversation.status != Status.BOT:
            return
        summary = chat_services.customer_handoff_summary(tenant=tenant, conversation=conversation)
        chat_services.handoff(tenant=tenant, conversation=conversation, summary=summary, sources=[],
                              reason="bot error")


def suggestion_publish(*, tenant: Tenant, conversation: Conversation, suggestion: Suggestion) -> None:
    """On commit, to the agents watching the conversation (the staff group): never to the customer."""
    chat_services.conversation_staff_push(tenant=tenant, conversation=conversation,
                                          payload=dict(suggestion_payload(tenant=tenant, suggestion=suggestion)))


def chat_message_triage(*, tenant: Tenant, message_id: int) -> Trace | None:
    """Triage of a customer message, recorded on the conversation and shown to agents. A task of its own, after the
    answer's: the customer waits for the answer, not for the labels."""
    message = ChatMessage.objects.for_tenant(tenant).select_related("conversation").filter(id=message_id).first()
    if message is None or message.sender != Sender.CUSTOMER:
        return None
    return chat_triage(tenant=tenant, settings=settings_get(tenant=tenant), conversation=message.conversation,
                       message=message)
