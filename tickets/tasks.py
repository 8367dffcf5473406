"""Celery adapters: email out, CSAT requests, webhook deliveries, SLA breach marking, IMAP polling.

Every task takes ``tenant_id`` first (TenantTask runs it in that tenant's context), is acks_late, and is
safe to run twice: each one checks the row it works on before acting.
"""

from __future__ import annotations

import smtplib
from typing import Any

from celery import shared_task
from django.conf import settings

from helpdesk.celery import TRANSIENT_ERRORS, TenantTask
from helpdesk.schedule import task_schedule
from tenants.models import Tenant
from tenants.rls import tenant_context
from tenants.selectors import tenant_get
from tickets import services
from tickets.mail import imap, outbound
from tickets.models import DeliveryStatus, EventKind, Ticket, TicketEvent

# A mail server or the network failing for a while (SMTP, socket and DNS errors are all OSErrors), on top of the
# database or the broker doing so: retried on TenantTask's schedule, which stays under the visibility timeout (a
# retry waiting longer would go to a second worker as well, and the customer would get the mail twice).
RETRYABLE_MAIL_ERRORS: tuple[type[Exception], ...] = (smtplib.SMTPException, OSError, *TRANSIENT_ERRORS)


class ReplyEmailTask(TenantTask):
    """A reply's mail that finally fails (retries spent, or an error no retry cures) is marked on the message, so
    agents see "Not sent" on the ticket and can send it again. The operator's failed-task list keeps the details."""

    abstract = True

    def failed_for_good(self, exc: BaseException, tenant_id: int, *args: Any) -> None:
        with tenant_context(tenant_id):
            services.message_email_failed(tenant=tenant_get(tenant_id=tenant_id), message_id=int(args[0]),
                                          reason=outbound.send_failure_reason(exc))


@shared_task(base=ReplyEmailTask, acks_late=True, retry_for=RETRYABLE_MAIL_ERRORS)
def message_send_email(tenant_id: int, message_id: int) -> None:
    services.message_email_send(tenant=tenant_get(tenant_id=tenant_id), message_id=message_id)


@shared_task(base=TenantTask, acks_late=True, retry_for=RETRYABLE_MAIL_ERRORS)
def csat_send_request(tenant_id: int, ticket_id: int) -> None:
    from tickets.portal import rate_url

    tenant = tenant_get(tenant_id=tenant_id)
    ticket = (Ticket.objects.for_tenant(tenant).select_for_update(of=("self",)).select_related("requester")
              .filter(id=ticket_id).first())
    if ticket is None or ticket.csat_rating is not None or not ticket.requester.email:
        return
    # The event row is the "already sent" marker, so a redelivered task does not email the customer twice.
    if TicketEvent.objects.for_tenant(tenant).filter(ticket=ticket, kind=EventKind.CSAT_SENT).exists():
        return
    outbound.csat_email(tenant=tenant, ticket=ticket, rate_url=rate_url(tenant=tenant, ticket=ticket)).send()
    TicketEvent.objects.create(tenant=tenant, ticket=ticket, kind=EventKind.CSAT_SENT, actor_label="system")


# Not in TenantTask's one transaction: the service commits the claim and the record around the HTTP call itself.
@shared_task(base=TenantTask, acks_late=True, one_transaction=False)
def webhook_deliver(tenant_id: int, delivery_id: int) -> str:
    delivery = services.webhook_deliver(tenant=tenant_get(tenant_id=tenant_id), delivery_id=delivery_id)
    if delivery is None:
        return "done"
    if delivery.status == DeliveryStatus.RETRYING:
        # Exponential backoff: 10 s, 20 s, 40 s, ... capped at an hour: a task of its own, scheduled where a long
        # wait is safe (helpdesk/schedule.py); the attempt is already recorded on the delivery row.
        countdown = min(3600, 10 * 2 ** (delivery.attempts - 1))
        task_schedule(webhook_deliver.name, [tenant_id, delivery_id], countdown=countdown)
    return str(delivery.status)


@shared_task(base=TenantTask, acks_late=True)
def sla_mark_breaches(tenant_id: int) -> int:
    return services.sla_mark_breaches(tenant=tenant_get(tenant_id=tenant_id))


@shared_task(acks_late=True)
def sla_check_all() -> int:
    """Beat entry point: fan out one breach check per active tenant."""
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        sla_mark_breaches.delay(tenant_id)
    return len(tenant_ids)


# The hard time limit ends the worker process (prefork pool) of a poll whose server drips one message past the
# poll's own deadline; nothing is lost, since mail is marked seen only after it was ingested.
# Acknowledged at start: a poll may outlast the broker's visibility timeout, and the next beat polls again anyway.
@shared_task(base=TenantTask, acks_late=False, time_limit=imap.POLL_TIME_LIMIT_SECONDS)
def imap_poll(tenant_id: int) -> int:
    return imap.poll_mailbox(tenant=tenant_get(tenant_id=tenant_id))


@shared_task(acks_late=True)
def imap_poll_all() -> int:
    """Beat entry point: only tenants that configured a mailbox (and only when polling is enabled)."""
    if not settings.IMAP_POLLING_ENABLED:
        return 0
    tenant_ids = [t.id for t in Tenant.objects.filter(is_active=True) if t.settings.get("imap_host")]
    for tenant_id in tenant_ids:
        imap_poll.delay(tenant_id)
    return len(tenant_ids)
