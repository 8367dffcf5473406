"""Changing a ticket: status, assignment (manual and round-robin), fields, triage, merge and macros."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from helpdesk.text import single_line
from tenants.models import Membership, Tenant, User
from tickets.models import (
    PRIORITY_RANK,
    TRANSITIONS,
    EventKind,
    Macro,
    Message,
    Priority,
    Status,
    Team,
    TeamMember,
    Ticket,
)
from tickets.services._common import record_event
from tickets.services.sla import sla_compute_due, sla_on_status_change


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(id=ticket.id, tenant_id=ticket.tenant_id)


def _sync(target: Ticket, source: Ticket) -> None:
    """Callers keep using their instance; copy the locked row's fresh values onto it."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


@transaction.atomic
def ticket_set_status(
    *, tenant: Tenant, ticket: Ticket, status: str, actor: User | None, actor_label: str = "",
) -> Ticket:
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status %(status)s; use one of %(choices)s.")
                               % {"status": repr(status), "choices": ", ".join(Status.values)}})
    locked = _lock(ticket)
    old = locked.status
    if status == old:
        _sync(ticket, locked)
        return ticket
    if status not in TRANSITIONS[old]:
        raise ValidationError({"status": _("A %(old)s ticket cannot become %(new)s.") % {"old": old, "new": status}})
    locked.status = status
    changed = ["status", *sla_on_status_change(ticket=locked, old=old, new=status)]
    locked.save(update_fields=changed)
    record_event(tenant=tenant, ticket=locked, actor=actor, kind=EventKind.STATUS_CHANGED,
                 data={"field": "status", "from": old, "to": status}, label=actor_label)
    if status == Status.SOLVED:
        from tickets.services.csat import csat_request

        csat_request(tenant=tenant, ticket=locked)
    _sync(ticket, locked)
    return ticket


def _member_user(*, tenant: Tenant, user_id: int) -> User:
    membership = Membership.objects.for_tenant(tenant).filter(user_id=user_id).select_related("user").first()
    if membership is None:
        raise ValidationError({"assignee": _("Choose an agent of this help desk.")})
    return membership.user


@transaction.atomic
def ticket_assign(
    *, tenant: Tenant, ticket: Ticket, assignee_id: int | None, actor: User | None, actor_label: str = "",
) -> Ticket:
    """Manual assignment; ``assignee_id=None`` unassigns."""
    assignee = _member_user(tenant=tenant, user_id=assignee_id) if assignee_id is not None else None
    locked = _lock(ticket)
    old = locked.assignee_id
    if old != (assignee.id if assignee else None):
        old_name = locked.assignee.display_name if locked.assignee is not None else None
        locked.assignee = assignee
        locked.save(update_fields=["assignee"])
        # Names beside the ids: the history reads "Ann → Bob" (ids stay for webhooks and realtime frames).
        record_event(tenant=tenant, ticket=locked, actor=actor, kind=EventKind.ASSIGNEE_CHANGED, label=actor_label,
                     data={"field": "assignee", "from": old, "to": assignee.id if assignee else None,
                           "from_name": old_name, "to_name": assignee.display_name if assignee else None})
    _sync(ticket, locked)
    return ticket


@transaction.atomic
def ticket_assign_round_robin(*, tenant: Tenant, ticket: Ticket, team: Team, actor: User | None = None) -> Ticket:
    """Give the ticket to the team's available member who was assigned longest ago (never-assigned first).

    The member rows are locked, so two tickets arriving together go to two different agents.
    """
    member = (
        TeamMember.objects.for_tenant(tenant).filter(team=team, is_available=True)
        .select_for_update().order_by(F("last_assigned_at").asc(nulls_first=True), "id").first()
    )
    if member is None:
        raise ValidationError({"team": _("No available agent in %(team)s.") % {"team": team.name}})
    member.last_assigned_at = timezone.now()
    member.save(update_fields=["last_assigned_at"])
    locked = _lock(ticket)
    if locked.team_id != team.id:
        old_team, old_name = locked.team_id, locked.team.name if locked.team is not None else None
        locked.team = team
        locked.save(update_fields=["team"])
        record_event(tenant=tenant, ticket=locked, actor=actor, kind=EventKind.TEAM_CHANGED,
                     data={"field": "team", "from": old_team, "to": team.id, "from_name": old_name,
                           "to_name": team.name})
    _sync(ticket, locked)
    return ticket_assign(tenant=tenant, ticket=ticket, assignee_id=member.user_id, actor=actor,
                         actor_label="round-robin" if actor is None else "")


def _clean_tags(tags: Sequence[str]) -> list[str]:
    if isinstance(tags, str):
        raise ValidationError({"tags": _("Give tags as a list.")})
    clean = sorted({str(t).strip().lower()[:50] for t in tags if str(t).strip()})
    if len(clean) > 30:
        raise ValidationError({"tags": _("At most 30 tags.")})
    return clean


@transaction.atomic
def ticket_update(
    *, tenant: Tenant, ticket: Ticket, actor: User | None, actor_label: str = "", priority: str | None = None,
    team_id: int | bool | None = False, tags: Sequence[str] | None = None, subject: str | None = None,
    category: str | None = None,
) -> Ticket:
    """Field changes by an agent. ``team_id=False`` leaves the team alone; ``None`` clears it."""
    locked = _lock(ticket)
    changes: list[tuple[str, Any, Any]] = []
    if priority is not None and priority != locked.priority:
        if priority not in PRIORITY_RANK:
            raise ValidationError({"priority": _("Unknown priority %(priority)s; use one of %(choices)s.")
                                   % {"priority": repr(priority), "choices": ", ".join(Priority.values)}})
        changes.append(("priority", locked.priority, priority))
        locked.priority = priority
        _recompute_due(locked)
    if team_id is not False and team_id != locked.team_id:
        if team_id is not None and not Team.objects.for_tenant(tenant).filter(id=team_id).exists():
            raise ValidationError({"team": _("Choose a team of this help desk.")})
        changes.append(("team", locked.team_id, team_id))
        locked.team_id = team_id  # type: ignore[assignment]
    if tags is not None:
        clean = _clean_tags(tags)
        if clean != sorted(locked.tags):
            changes.append(("tags", locked.tags, clean))
            locked.tags = clean
    # Cleaned as on creation: the subject goes out in the Subject of every reply.
    subject = single_line(subject)[:250] if subject is not None else None
    if subject and subject != locked.subject:
        changes.append(("subject", locked.subject, subject))
        locked.subject = subject
    if category is not None and category != locked.category:
        changes.append(("category", locked.category, category[:100]))
        locked.category = category[:100]
    if changes:
        locked.save()
        for field, old, new in changes:
            data = {"field": field, "from": old, "to": new}
            if field == "team":  # names beside the ids, as ticket_assign does
                names = dict(Team.objects.for_tenant(tenant).filter(id__in=[old, new]).values_list("id", "name"))
                data.update(from_name=names.get(old), to_name=names.get(new))
            record_event(tenant=tenant, ticket=locked, actor=actor, kind=f"{field}.changed", label=actor_label,
                         data=data)
    _sync(ticket, locked)
    return ticket


def _recompute_due(ticket: Ticket) -> None:
    """A new priority means new targets, counted from the ticket's creation (paused time is not credited)."""
    first, resolution = sla_compute_due(policy=ticket.sla_policy, priority=ticket.priority, start=ticket.created_at)
    if ticket.first_response_at is None:
        ticket.first_response_due_at = first
    if ticket.resolved_at is None:
        ticket.resolution_due_at = resolution


@transaction.atomic
def ticket_set_triage(
    *, tenant: Tenant, ticket: Ticket, category: str | None, priority: str | None, sentiment: str | None,
    language: str | None, actor: User | None = None,
) -> Ticket:
    """Labels from triage (the AI app or an agent). Triage may raise the priority, never lower it."""
    locked = _lock(ticket)
    changes: dict[str, dict[str, Any]] = {}
    for field, value in (("category", category), ("sentiment", sentiment), ("language", language)):
        if value is not None and value != getattr(locked, field):
            changes[field] = {"from": getattr(locked, field), "to": value[:100]}
            setattr(locked, field, value[:100])
    if priority is not None:
        if priority not in PRIORITY_RANK:
            raise ValidationError({"priority": _("Unknown priority %(priority)s.") % {"priority": repr(priority)}})
        if PRIORITY_RANK[Priority(priority)] > PRIORITY_RANK[Priority(locked.priority)]:
            changes["priority"] = {"from": locked.priority, "to": priority}
            locked.priority = priority
            _recompute_due(locked)
    if changes:
        locked.save()
        record_event(tenant=tenant, ticket=locked, actor=actor, kind=EventKind.TRIAGE_SET, data=changes,
                     label="" if actor else "triage")
    _sync(ticket, locked)
    return ticket


@transaction.atomic
def ticket_merge(*, tenant: Tenant, source: Ticket, target: Ticket, actor: User | None) -> Ticket:
    """Move the source's conversation into the target and close the source, pointing at the target."""
    from tickets.services.messages import ticket_system_note

    if source.id == target.id:
        raise ValidationError({"target": _("A ticket cannot be merged into itself.")})
    first, second = sorted([source, target], key=lambda t: t.id)
    # Lock in id order, so two opposite merges cannot deadlock.
    _lock(first)
    _lock(second)
    source, target = _lock(source), _lock(target)
    if target.status == Status.CLOSED or target.merged_into_id:
        raise ValidationError({"target": _("Merge into an open ticket.")})
    if source.merged_into_id:
        raise ValidationError({"source": _("This ticket was already merged.")})
    moved = Message.objects.for_tenant(tenant).filter(ticket=source).update(ticket=target)
    target.tags = sorted(set(target.tags) | set(source.tags))
    target.save(update_fields=["tags"])
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    if source.status != Status.CLOSED:
        ticket_set_status(tenant=tenant, ticket=source, status=Status.CLOSED, actor=actor)
    with translation.override(tenant.language):  # a note for the tenant's agents, stored as written
        note = _("Ticket #%(number)s was merged into this ticket.") % {"number": source.number}
    ticket_system_note(tenant=tenant, ticket=target, body=note)
    record_event(tenant=tenant, ticket=source, actor=actor, kind=EventKind.MERGED,
                 data={"into": target.id, "number": target.number, "messages": moved})
    return target


def macro_validate_actions(actions: object) -> dict[str, Any]:
    if not isinstance(actions, dict):
        raise ValidationError({"actions": _("Actions must be an object.")})
    known = {"status", "priority", "add_tags", "remove_tags", "team_id", "assign_to_me"}
    unknown = set(actions) - known
    if unknown:
        raise ValidationError({"actions": _("Unknown action(s): %(actions)s.")
                                  % {"actions": ", ".join(sorted(unknown))}})
    if "status" in actions and actions["status"] not in Status.values:
        raise ValidationError({"actions": _("Unknown status %(status)s.") % {"status": repr(actions["status"])}})
    if "priority" in actions and actions["priority"] not in Priority.values:
        raise ValidationError({"actions": _("Unknown priority %(priority)s.")
                                  % {"priority": repr(actions["priority"])}})
    for key in ("add_tags", "remove_tags"):
        if key in actions and not isinstance(actions[key], list):
            raise ValidationError({"actions": _("%(key)s must be a list.") % {"key": key}})
    return actions


@transaction.atomic
def macro_create(*, tenant: Tenant, name: str, body: str, actions: dict[str, Any]) -> Macro:
    if not name.strip():
        raise ValidationError({"name": _("Give the macro a name.")})
    if Macro.objects.for_tenant(tenant).filter(name=name.strip()).exists():
        raise ValidationError({"name": _("A macro with this name exists.")})
    return Macro.objects.create(tenant=tenant, name=name.strip()[:120], body=body,
                                actions=macro_validate_actions(actions))


def macro_render(*, macro: Macro, ticket: Ticket, agent: User | None) -> str:
    """Fill the few placeholders a canned reply may use."""
    requester = ticket.requester
    return (macro.body.replace("{{customer_name}}", requester.name or "there")
            .replace("{{ticket_number}}", str(ticket.number))
            .replace("{{agent_name}}", agent.display_name if agent else "Support"))


@transaction.atomic
def macro_apply(*, tenant: Tenant, ticket: Ticket, macro: Macro, actor: User | None, reply: bool = True,
                body: str | None = None) -> Message | None:
    """Apply the macro's field changes, then (optionally) send its reply; ``body`` overrides the canned text."""
    from tickets.services.messages import ticket_reply

    actions = macro.actions
    tags = None
    if actions.get("add_tags") or actions.get("remove_tags"):
        tags = sorted((set(ticket.tags) | set(actions.get("add_tags", []))) - set(actions.get("remove_tags", [])))
    ticket_update(tenant=tenant, ticket=ticket, actor=actor, priority=actions.get("priority"), tags=tags,
                  team_id=actions.get("team_id", False))
    if actions.get("assign_to_me") and actor is not None:
        ticket_assign(tenant=tenant, ticket=ticket, assignee_id=actor.id, actor=actor)
    record_event(tenant=tenant, ticket=ticket, actor=actor, kind=EventKind.MACRO_APPLIED,
                 data={"macro_id": macro.id, "name": macro.name})
    message = None
    text = body if body is not None else macro_render(macro=macro, ticket=ticket, agent=actor)
    if reply and text.strip():
        message = ticket_reply(tenant=tenant, ticket=ticket, author=actor, body=text)
    if actions.get("status"):
        ticket_set_status(tenant=tenant, ticket=ticket, status=actions["status"], actor=actor)
    return message
