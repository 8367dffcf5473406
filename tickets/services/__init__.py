"""Every write of the tickets app: one function per use case, each owning its transaction and side effects."""

from __future__ import annotations

from tickets.services.admin import (
    inbound_secret_check,
    inbound_secret_rotate,
    mailbox_configure,
    mailbox_remove,
    sla_policy_save,
    team_create,
    team_member_set_available,
    team_set_members,
)
from tickets.services.changes import (
    macro_apply,
    macro_create,
    macro_render,
    macro_validate_actions,
    ticket_assign,
    ticket_assign_round_robin,
    ticket_merge,
    ticket_set_status,
    ticket_set_triage,
    ticket_update,
)
from tickets.services.create import customer_get_or_create, ticket_create, ticket_create_from_chat
from tickets.services.csat import csat_request, ticket_rate
from tickets.services.email import IngestResult, ingest_email
from tickets.services.messages import (
    AttachmentIn,
    message_email_failed,
    message_email_retry,
    message_email_send,
    message_post_bot_reply,
    ticket_customer_message,
    ticket_note,
    ticket_reply,
    ticket_system_note,
)
from tickets.services.sla import add_business_minutes, sla_mark_breaches
from tickets.services.webhooks import webhook_create, webhook_delete, webhook_deliver

__all__ = [
    "AttachmentIn",
    "IngestResult",
    "add_business_minutes",
    "csat_request",
    "customer_get_or_create",
    "inbound_secret_check",
    "inbound_secret_rotate",
    "ingest_email",
    "macro_apply",
    "macro_create",
    "macro_render",
    "macro_validate_actions",
    "mailbox_configure",
    "mailbox_remove",
    "message_email_failed",
    "message_email_retry",
    "message_email_send",
    "message_post_bot_reply",
    "sla_mark_breaches",
    "sla_policy_save",
    "team_create",
    "team_member_set_available",
    "team_set_members",
    "ticket_assign",
    "ticket_assign_round_robin",
    "ticket_create",
    "ticket_create_from_chat",
    "ticket_customer_message",
    "ticket_merge",
    "ticket_note",
    "ticket_rate",
    "ticket_reply",
    "ticket_set_status",
    "ticket_set_triage",
    "ticket_system_note",
    "ticket_update",
    "webhook_create",
    "webhook_delete",
    "webhook_deliver",
]
