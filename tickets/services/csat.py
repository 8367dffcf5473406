"""Customer satisfaction: a rating request when a ticket is solved, and the customer's rating."""

from __future__ import annotations

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.models import Tenant
from tickets.models import EventKind, Status, Ticket
from tickets.services._common import record_event


def csat_request(*, tenant: Tenant, ticket: Ticket) -> None:
    """Ask once per ticket; the email carries a signed portal link (sent by a task after commit)."""
    from tickets import tasks

    if ticket.csat_requested_at is not None or not ticket.requester.email:
        return
    ticket.csat_requested_at = timezone.now()
    Ticket.objects.for_tenant(tenant).filter(id=ticket.id).update(csat_requested_at=ticket.csat_requested_at)
    transaction.on_commit(partial(tasks.csat_send_request.delay, tenant.id, ticket.id))


@transaction.atomic
def ticket_rate(*, tenant: Tenant, ticket: Ticket, rating: int, comment: str = "") -> Ticket:
    if ticket.status not in (Status.SOLVED, Status.CLOSED):
        raise ValidationError({"rating": _("Only solved tickets can be rated.")})
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Rate from 1 (bad) to 5 (great).")})
    ticket.csat_rating, ticket.csat_comment = rating, comment.strip()[:2000]
    Ticket.objects.for_tenant(tenant).filter(id=ticket.id).update(csat_rating=rating, csat_comment=ticket.csat_comment)
    record_event(tenant=tenant, ticket=ticket, actor=None, kind=EventKind.CSAT_RATED, data={"rating": rating},
                 label="customer")
    return ticket
