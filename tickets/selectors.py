"""Reads of the tickets app: one accessor per entity (404 for "not yours" and "does not exist"), queue lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.http import query_int, query_text
from tenants.models import Tenant, User
from tickets.models import (
    ACTIVE_STATUSES,
    Attachment,
    Channel,
    Customer,
    Macro,
    Message,
    Priority,
    SlaPolicy,
    Status,
    Team,
    TeamMember,
    Ticket,
    TicketEvent,
    Webhook,
    WebhookDelivery,
)
from tickets.search import ticket_query

QUEUE_VIEWS = {
    "mine": _("Mine"),
    "unassigned": _("Unassigned"),
    "teams": _("My teams"),
    "all": _("All"),
    "breaching": _("Breaching SLA"),
}
SORTS = {
    "newest": ("-number",),
    "oldest": ("number",),
    "updated": ("-updated_at", "-number"),
    "due": ("resolution_due_at", "-number"),
    "priority": ("-priority_rank", "-number"),
}


@dataclass(frozen=True)
class TicketFilters:
    view: str = "all"
    status: str = ""
    priority: str = ""
    team_id: int | None = None
    assignee_id: int | None = None
    tag: str = ""
    channel: str = ""
    q: str = ""
    sort: str = "newest"

    @classmethod
    def from_params(cls, params: Any) -> TicketFilters:
        return cls(
            view=params.get("view") if params.get("view") in QUEUE_VIEWS else "all",
            status=params.get("status", "") if params.get("status", "") in Status.values else "",
            priority=params.get("priority", "") if params.get("priority", "") in Priority.values else "",
            team_id=query_int(params.get("team")), assignee_id=query_int(params.get("assignee")),
            tag=query_text(params.get("tag"), max_length=50).lower(),
            channel=params.get("channel", "") if params.get("channel", "") in Channel.values else "",
            q=query_text(params.get("q"), max_length=200),
            sort=params.get("sort") if params.get("sort") in SORTS else "newest",
        )


def ticket_base(*, tenant: Tenant) -> QuerySet[Ticket]:
    return Ticket.objects.for_tenant(tenant).select_related("requester", "assignee", "team")


def ticket_get(*, tenant: Tenant, user: User | None, ticket_id: int) -> Ticket:
    """Every member of the tenant may work every ticket; another tenant's id is simply not found."""
    ticket = ticket_base(tenant=tenant).filter(id=ticket_id).first()
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def ticket_list(*, tenant: Tenant, user: User | None, filters: TicketFilters | None = None) -> QuerySet[Ticket]:
    """The queue: a view (mine, unassigned, my teams, all, breaching) narrowed by filters and search."""
    filters = filters or TicketFilters()
    qs = ticket_base(tenant=tenant).defer("search_vector", "csat_comment")
    if filters.view == "mine":
        qs = qs.filter(assignee_id=getattr(user, "id", None), status__in=ACTIVE_STATUSES)
    elif filters.view == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=ACTIVE_STATUSES)
    elif filters.view == "teams":
        team_ids = TeamMember.objects.for_tenant(tenant).filter(user_id=getattr(user, "id", 0) or 0).values("team_id")
        qs = qs.filter(team_id__in=team_ids, status__in=ACTIVE_STATUSES)
    elif filters.view == "breaching":
        soon = timezone.now() + timedelta(hours=1)
        qs = qs.filter(status__in=(Status.NEW, Status.OPEN)).filter(
            Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)
            | Q(first_response_at__isnull=True, first_response_due_at__lt=soon)
            | Q(resolved_at__isnull=True, resolution_due_at__lt=soon)
        )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.team_id:
        qs = qs.filter(team_id=filters.team_id)
    if filters.assignee_id:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.tag:
        qs = qs.filter(tags__contains=[filters.tag])
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.q:
        if (number := query_int(filters.q.removeprefix("#"))) is not None:
            qs = qs.filter(Q(number=number) | Q(requester__email__iexact=filters.q))
        elif "@" in filters.q:
            qs = qs.filter(requester__email__iexact=filters.q.lower())
        else:
            qs = qs.filter(search_vector=ticket_query(filters.q))
    if filters.sort == "priority":
        from django.db.models import Case, IntegerField, Value, When

        rank = Case(*[When(priority=p, then=Value(i)) for i, p in enumerate(Priority.values)],
                    output_field=IntegerField())
        qs = qs.annotate(priority_rank=rank)
    return qs.order_by(*SORTS[filters.sort])


def ticket_messages(*, tenant: Tenant, ticket: Ticket, public_only: bool = False) -> QuerySet[Message]:
    qs = (Message.objects.for_tenant(tenant).filter(ticket=ticket)
          .select_related("author_user", "author_customer")
          .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.defer("data").order_by("id"))))
    if public_only:
        qs = qs.filter(kind="reply")
    return qs.order_by("id")


def message_get(*, tenant: Tenant, message_id: int) -> Message:
    message = Message.objects.for_tenant(tenant).select_related("ticket").filter(id=message_id).first()
    if message is None:
        raise Http404("No such message.")
    return message


def attachment_get(*, tenant: Tenant, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.for_tenant(tenant).filter(id=attachment_id).select_related("message").first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def ticket_events(*, tenant: Tenant, ticket: Ticket) -> QuerySet[TicketEvent]:
    return TicketEvent.objects.for_tenant(tenant).filter(ticket=ticket).select_related("actor").order_by("id")


def customer_other_tickets(*, tenant: Tenant, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    return list(Ticket.objects.for_tenant(tenant).filter(requester_id=ticket.requester_id).exclude(id=ticket.id)
                .only("id", "number", "subject", "status", "created_at").order_by("-number")[:limit])


def customer_list(*, tenant: Tenant, q: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.for_tenant(tenant)
    if q:
        qs = qs.filter(Q(email__icontains=q) | Q(name__icontains=q))
    return qs.order_by("-id")


def customer_get(*, tenant: Tenant, customer_id: int) -> Customer:
    customer = Customer.objects.for_tenant(tenant).filter(id=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    return customer


def customer_tickets(*, tenant: Tenant, customer_id: int) -> QuerySet[Ticket]:
    return Ticket.objects.for_tenant(tenant).filter(requester_id=customer_id).order_by("-number")


def team_list(*, tenant: Tenant) -> QuerySet[Team]:
    return Team.objects.for_tenant(tenant).prefetch_related(
        Prefetch("members", queryset=TeamMember.objects.select_related("user").order_by("id"))
    ).order_by("name")


def team_get(*, tenant: Tenant, team_id: int) -> Team:
    team = team_list(tenant=tenant).filter(id=team_id).first()
    if team is None:
        raise Http404("No such team.")
    return team


def macro_list(*, tenant: Tenant) -> QuerySet[Macro]:
    return Macro.objects.for_tenant(tenant).order_by("name")


def macro_get(*, tenant: Tenant, macro_id: int) -> Macro:
    macro = Macro.objects.for_tenant(tenant).filter(id=macro_id).first()
    if macro is None:
        raise Http404("No such macro.")
    return macro


def sla_policy_default(*, tenant: Tenant) -> SlaPolicy | None:
    return SlaPolicy.objects.for_tenant(tenant).filter(is_default=True).first()


IMAP_PORT = 993
IMAP_FOLDER = "INBOX"


@dataclass(frozen=True)
class Mailbox:
    """The tenant's IMAP mailbox, kept in ``tenant.settings`` (keys ``imap_*``). The password stays encrypted here:
    only the poller decrypts it, so nothing that renders a page can show it by mistake."""

    host: str
    port: int
    user: str
    folder: str
    password_hint: str  # its last characters, as helpdesk.crypto.secret_hint shows them
    password_encrypted: str = field(repr=False)


def mailbox_get(*, tenant: Tenant) -> Mailbox | None:
    """None when the tenant has no mailbox."""
    config = tenant.settings
    host = str(config.get("imap_host") or "")
    if not host:
        return None
    return Mailbox(
        host=host, port=query_int(config.get("imap_port"), maximum=65535) or IMAP_PORT,
        user=str(config.get("imap_user") or ""), folder=str(config.get("imap_folder") or IMAP_FOLDER),
        password_hint=str(config.get("imap_password_hint") or ""),
        password_encrypted=str(config.get("imap_password_encrypted") or ""),
    )


def webhook_list(*, tenant: Tenant) -> QuerySet[Webhook]:
    return Webhook.objects.for_tenant(tenant).order_by("-id")


def webhook_get(*, tenant: Tenant, webhook_id: int) -> Webhook:
    webhook = Webhook.objects.for_tenant(tenant).filter(id=webhook_id).first()
    if webhook is None:
        raise Http404("No such webhook.")
    return webhook


def webhook_deliveries(*, tenant: Tenant, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.for_tenant(tenant).filter(webhook=webhook).order_by("-id")


def portal_tickets(*, tenant: Tenant, customer_id: int) -> QuerySet[Ticket]:
    return Ticket.objects.for_tenant(tenant).filter(requester_id=customer_id, merged_into__isnull=True).order_by(
        "-number")


def portal_ticket_get(*, tenant: Tenant, customer_id: int, ticket_id: int) -> Ticket:
    ticket = portal_tickets(tenant=tenant, customer_id=customer_id).select_related("requester").filter(
        id=ticket_id).first()
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket
