"""Helpers every ticket service uses: events, live pushes, webhooks and the per-tenant ticket number."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from helpdesk import realtime
from tenants.models import Tenant, User
from tickets import events
from tickets.models import Ticket, TicketCounter, TicketEvent


def next_number(*, tenant: Tenant) -> int:
    """The row lock taken by the UPDATE serialises concurrent creations until the transaction ends."""
    TicketCounter.objects.bulk_create([TicketCounter(tenant=tenant)], ignore_conflicts=True)
    TicketCounter.objects.for_tenant(tenant).update(last_number=F("last_number") + 1)
    return int(TicketCounter.objects.for_tenant(tenant).values_list("last_number", flat=True).get())


def actor_label(actor: User | None, label: str = "") -> str:
    if label:
        return label
    return actor.email if actor is not None else "system"


def record_event(
    *, tenant: Tenant, ticket: Ticket, actor: User | None, kind: str, data: dict[str, Any], label: str = ""
) -> TicketEvent:
    """Persist who changed what, push it to open ticket pages and to webhooks, all after commit."""
    event = TicketEvent.objects.create(
        tenant=tenant, ticket=ticket, actor=actor, actor_label=actor_label(actor, label), kind=kind, data=data
    )
    Ticket.objects.for_tenant(tenant).filter(id=ticket.id).update(updated_at=timezone.now())
    publish_ticket(tenant=tenant, ticket=ticket, kind=kind, actor=actor, data=data)
    webhooks_dispatch(tenant=tenant, event="ticket.updated", payload={"ticket_id": ticket.id, "number": ticket.number,
                                                                        "change": kind, "data": data})
    return event


def publish_ticket(*, tenant: Tenant, ticket: Ticket, kind: str, actor: User | None, data: dict[str, Any]) -> None:
    payload = {"type": kind, "ticket_id": ticket.id, "actor_id": actor.id if actor else None, "data": data}
    realtime.publish_on_commit(tenant.id, ("ticket", ticket.id), "ticket.changed", payload)


def webhooks_dispatch(*, tenant: Tenant, event: str, payload: dict[str, Any]) -> None:
    from tickets.services.webhooks import webhook_deliveries_create

    webhook_deliveries_create(tenant=tenant, event=event, payload=payload)


def send_ticket_created(*, tenant: Tenant, ticket: Ticket) -> None:
    transaction.on_commit(partial(events.ticket_created.send, Ticket, tenant_id=tenant.id, ticket_id=ticket.id))
    webhooks_dispatch(tenant=tenant, event="ticket.created",
                      payload={"ticket_id": ticket.id, "number": ticket.number, "subject": ticket.subject})


def send_message_posted(
    *, tenant: Tenant, ticket: Ticket, message_id: int, public: bool, actor_id: int | None = None
) -> None:
    from tickets.models import Message

    transaction.on_commit(partial(events.message_posted.send, Message, tenant_id=tenant.id, message_id=message_id))
    realtime.publish_on_commit(
        tenant.id, ("ticket", ticket.id), "ticket.changed",
        {"type": "message.posted", "ticket_id": ticket.id, "message_id": message_id, "actor_id": actor_id, "data": {}},
    )
    if public:
        webhooks_dispatch(tenant=tenant, event="message.posted",
                          payload={"ticket_id": ticket.id, "number": ticket.number, "message_id": message_id})
