"""Agent workspace pages: the queue with bulk actions, and the ticket page. Views translate and delegate."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from helpdesk.http import TenantRequest, query_int, safe_next
from tenants.selectors import agents_of
from tenants.urls_helpers import tenant_reverse
from tickets import forms, selectors, services
from tickets.models import Priority, Status, Ticket
from tickets.services import AttachmentIn

PAGE_SIZE = 50
PAGE_SIZES = ("10", "25", "50", "100", "200")


@dataclass
class QueuePage:
    """A page without a total: one row more than shown says whether a next page exists.

    An exact count of a 100,000-ticket queue (filtered or searched) costs more than the page itself and is
    not what an agent works from; filters and search narrow the queue instead.
    """

    object_list: list[Ticket]
    number: int
    has_next: bool

    @classmethod
    def fetch(cls, queryset: QuerySet[Ticket], *, number: str | None, per_page: int) -> QueuePage:
        page = query_int(number, maximum=10_000) or 1
        start = (page - 1) * per_page
        rows = list(queryset[start: start + per_page + 1])
        return cls(object_list=rows[:per_page], number=page, has_next=len(rows) > per_page)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self) -> Iterator[Ticket]:
        return iter(self.object_list)


def _choices(request: TenantRequest) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    agents = [(u.id, u.display_name) for u in agents_of(tenant=request.tenant)]
    teams = [(t.id, t.name) for t in selectors.team_list(tenant=request.tenant).prefetch_related(None)]
    return agents, teams


def queue(request: TenantRequest) -> HttpResponse:
    filters = selectors.TicketFilters.from_params(request.GET)
    tickets = selectors.ticket_list(tenant=request.tenant, user=request.user, filters=filters)
    per_page = int(request.GET["per_page"]) if request.GET.get("per_page") in PAGE_SIZES else PAGE_SIZE
    page = QueuePage.fetch(tickets, number=request.GET.get("page"), per_page=per_page)
    agents, teams = _choices(request)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page, "filters": filters, "views": selectors.QUEUE_VIEWS, "agents": agents, "teams": teams,
        "statuses": Status.choices, "priorities": Priority.choices, "sorts": list(selectors.SORTS),
        "bulk_actions": forms.BULK_ACTIONS, "query": params.urlencode(),
    }
    return render(request, "tickets/queue.html", context)


@require_POST
def bulk(request: TenantRequest) -> HttpResponse:
    form = forms.BulkForm(request.POST)
    back = safe_next(request, request.POST.get("next", ""), tenant_reverse(request.tenant, "tickets:queue"))
    if not form.is_valid():
        messages.error(request, _("Choose an action and at least one ticket."))
        return redirect(back)
    action = form.cleaned_data["action"]
    tickets = selectors.ticket_list(tenant=request.tenant, user=request.user).filter(id__in=form.cleaned_data["ids"])
    done, failed = 0, []
    for ticket in tickets:
        try:
            _bulk_one(request, ticket, action)
            done += 1
        except ValidationError as exc:
            failed.append(f"#{ticket.number}: {'; '.join(exc.messages)}")
    messages.success(request, ngettext("Updated %(count)d ticket.", "Updated %(count)d tickets.", done)
                     % {"count": done})
    if failed:
        messages.error(request, _("Not changed: %(tickets)s") % {"tickets": " · ".join(failed[:10])})
    return redirect(back)


def _bulk_one(request: TenantRequest, ticket: Ticket, action: str) -> None:
    tenant, user = request.tenant, request.user
    name, _sep, value = action.partition(":")
    if name == "assign_me":
        services.ticket_assign(tenant=tenant, ticket=ticket, assignee_id=user.id, actor=user)
    elif name == "unassign":
        services.ticket_assign(tenant=tenant, ticket=ticket, assignee_id=None, actor=user)
    elif name == "status":
        services.ticket_set_status(tenant=tenant, ticket=ticket, status=value, actor=user)
    elif name == "priority":
        services.ticket_update(tenant=tenant, ticket=ticket, actor=user, priority=value)


def detail(request: TenantRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(tenant=request.tenant, user=request.user, ticket_id=ticket_id)
    return _render_detail(request, ticket, forms.ReplyForm(), None)


def _render_detail(request: TenantRequest, ticket: Ticket, reply_form: forms.ReplyForm,
                   fields_form: forms.TicketFieldsForm | None, status: int = 200) -> HttpResponse:
    agents, teams = _choices(request)
    if fields_form is None:
        fields_form = forms.TicketFieldsForm(
            agents=agents, teams=teams,
            initial={"status": ticket.status, "priority": ticket.priority, "assignee": ticket.assignee_id,
                     "team": ticket.team_id, "tags": ", ".join(ticket.tags)},
        )
    context = {
        "ticket": ticket,
        "thread": selectors.ticket_messages(tenant=request.tenant, ticket=ticket),
        "events": selectors.ticket_events(tenant=request.tenant, ticket=ticket),
        "other_tickets": selectors.customer_other_tickets(tenant=request.tenant, ticket=ticket),
        "macros": selectors.macro_list(tenant=request.tenant),
        "reply_form": reply_form, "fields_form": fields_form, "merge_form": forms.MergeForm(),
    }
    return render(request, "tickets/detail.html", context, status=status)


@require_POST
def reply(request: TenantRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(tenant=request.tenant, user=request.user, ticket_id=ticket_id)
    form = forms.ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, ticket, form, None, status=400)
    data = form.cleaned_data
    upload = data.get("attachment")
    attachments = [AttachmentIn(upload.name, upload.content_type or "application/octet-stream", upload.read())] \
        if upload else []
    try:
        if data["macro"]:
            macro = selectors.macro_get(tenant=request.tenant, macro_id=data["macro"])
            services.macro_apply(tenant=request.tenant, ticket=ticket, macro=macro, actor=request.user,
                                 body=data["body"] or None)
        elif data["kind"] == "note":
            services.ticket_note(tenant=request.tenant, ticket=ticket, author=request.user, body=data["body"],
                                 attachments=attachments)
        else:
            services.ticket_reply(tenant=request.tenant, ticket=ticket, author=request.user, body=data["body"],
                                  attachments=attachments, status=data["status"] or None)
    except ValidationError as exc:
        from helpdesk.http import apply_validation_error

        apply_validation_error(form, exc)
        return _render_detail(request, ticket, form, None, status=400)
    messages.success(request, _("Note added.") if data["kind"] == "note" and not data["macro"] else _("Reply sent."))
    return redirect(tenant_reverse(request.tenant, "tickets:detail", ticket.id))


@require_POST
def update(request: TenantRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(tenant=request.tenant, user=request.user, ticket_id=ticket_id)
    agents, teams = _choices(request)
    form = forms.TicketFieldsForm(request.POST, agents=agents, teams=teams)
    if not form.is_valid():
        return _render_detail(request, ticket, forms.ReplyForm(), form, status=400)
    data, tenant, user = form.cleaned_data, request.tenant, request.user
    try:
        services.ticket_update(tenant=tenant, ticket=ticket, actor=user, priority=data["priority"],
                               team_id=data["team"], tags=[t for t in data["tags"].split(",") if t.strip()])
        if data["round_robin"] and data["team"]:
            team = selectors.team_get(tenant=tenant, team_id=data["team"])
            services.ticket_assign_round_robin(tenant=tenant, ticket=ticket, team=team, actor=user)
        else:
            services.ticket_assign(tenant=tenant, ticket=ticket, assignee_id=data["assignee"], actor=user)
        services.ticket_set_status(tenant=tenant, ticket=ticket, status=data["status"], actor=user)
    except ValidationError as exc:
        from helpdesk.http import apply_validation_error

        apply_validation_error(form, exc)
        return _render_detail(request, ticket, forms.ReplyForm(), form, status=400)
    messages.success(request, _("Ticket updated."))
    return redirect(tenant_reverse(tenant, "tickets:detail", ticket.id))


@require_POST
def merge(request: TenantRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(tenant=request.tenant, user=request.user, ticket_id=ticket_id)
    form = forms.MergeForm(request.POST)
    target = None
    if form.is_valid():
        target = selectors.ticket_base(tenant=request.tenant).filter(number=form.cleaned_data["target_number"]).first()
    if target is None:
        messages.error(request, _("No ticket with that number."))
        return redirect(tenant_reverse(request.tenant, "tickets:detail", ticket.id))
    try:
        services.ticket_merge(tenant=request.tenant, source=ticket, target=target, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(tenant_reverse(request.tenant, "tickets:detail", ticket.id))
    messages.success(request, _("Merged into #%(number)s.") % {"number": target.number})
    return redirect(tenant_reverse(request.tenant, "tickets:detail", target.id))


@require_POST
def email_retry(request: TenantRequest, message_id: int) -> HttpResponse:
    """Send again a reply whose mail failed; any member may, as any member may reply."""
    message = selectors.message_get(tenant=request.tenant, message_id=message_id)
    try:
        services.message_email_retry(tenant=request.tenant, message=message, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Sending the reply again."))
    return redirect(tenant_reverse(request.tenant, "tickets:detail", message.ticket_id) + f"#m{message.id}")


def macro_preview(request: TenantRequest, ticket_id: int, macro_id: int) -> JsonResponse:
    """The macro's reply text for this ticket, so the agent can edit it before sending."""
    ticket = selectors.ticket_get(tenant=request.tenant, user=request.user, ticket_id=ticket_id)
    macro = selectors.macro_get(tenant=request.tenant, macro_id=macro_id)
    return JsonResponse({"body": services.macro_render(macro=macro, ticket=ticket, agent=request.user),
                         "actions": macro.actions})


def attachment(request: TenantRequest, attachment_id: int) -> HttpResponse:
    item = selectors.attachment_get(tenant=request.tenant, attachment_id=attachment_id)
    response = HttpResponse(bytes(item.data), content_type="application/octet-stream")
    # Always a download, never rendered inline: an uploaded HTML file must not run in our origin.
    response["Content-Disposition"] = f'attachment; filename="{item.filename.replace(chr(34), "")}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
