"""SLA clocks: due times from the policy's targets (optionally in business hours), pauses, breach marking."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from tenants.models import Tenant
from tickets.models import PRIORITY_RANK, EventKind, Priority, SlaPolicy, Status, Ticket
from tickets.services._common import record_event, webhooks_dispatch

TARGET_KEYS = ("first_response", "resolution")


def sla_validate_targets(targets: object) -> dict[str, dict[str, int]]:
    if not isinstance(targets, dict):
        raise ValidationError({"targets": gettext("Give {priority: {first_response: minutes, resolution: minutes}}.")})
    clean: dict[str, dict[str, int]] = {}
    for priority, values in targets.items():
        if priority not in PRIORITY_RANK:
            raise ValidationError({"targets": gettext("Unknown priority %(priority)s.") % {"priority": repr(priority)}})
        if not isinstance(values, dict):
            raise ValidationError({"targets": gettext("Targets for %(priority)s must be an object.")
                                  % {"priority": priority}})
        clean[priority] = {}
        for key in TARGET_KEYS:
            minutes = values.get(key)
            if minutes is None:
                continue
            if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
                raise ValidationError({"targets": gettext("%(priority)s.%(key)s must be a positive number of minutes.")
                                      % {"priority": priority, "key": key}})
            clean[priority][key] = minutes
    return clean


def _parse_hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


def sla_validate_business_hours(value: object) -> dict[str, object]:
    """{"days": [0..6], "start": "HH:MM", "end": "HH:MM", "timezone": IANA name}; {} means around the clock."""
    if not value:
        return {}
    if not isinstance(value, dict):
        raise ValidationError({"business_hours": gettext("Give days, start, end and timezone.")})
    days = value.get("days", [0, 1, 2, 3, 4])
    if not isinstance(days, list) or not days or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days):
        raise ValidationError({"business_hours": gettext("Days are weekday numbers 0 (Monday) to 6 (Sunday).")})
    try:
        start, end = _parse_hhmm(str(value.get("start", "09:00"))), _parse_hhmm(str(value.get("end", "17:00")))
    except ValueError:
        raise ValidationError({"business_hours": gettext("Start and end are times such as 09:00.")}) from None
    if end <= start:
        raise ValidationError({"business_hours": gettext("The working day must end after it starts.")})
    zone = str(value.get("timezone", "UTC"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"business_hours": gettext("Unknown time zone %(zone)s.")
                                 % {"zone": repr(zone[:60])}}) from None
    return {"days": sorted(set(days)), "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
            "timezone": zone}


def add_business_minutes(start: datetime, minutes: int, business_hours: dict[str, object]) -> datetime:
    """``start`` plus ``minutes`` counted only inside the working window of working days, in the policy's time
    zone (so a 09:00-17:00 Berlin day stays 09:00-17:00 across daylight-saving changes)."""
    if not business_hours:
        return start + timedelta(minutes=minutes)
    days = {int(d) for d in business_hours.get("days", [0, 1, 2, 3, 4])}  # type: ignore[attr-defined]
    open_at = _parse_hhmm(str(business_hours.get("start", "09:00")))
    close_at = _parse_hhmm(str(business_hours.get("end", "17:00")))
    if not days or close_at <= open_at:
        return start + timedelta(minutes=minutes)
    zone = ZoneInfo(str(business_hours.get("timezone", "UTC")))
    current, remaining = start.astimezone(zone), timedelta(minutes=minutes)
    for _ in range(800):  # bounded: two years of calendar days is plenty for any target
        day = current.date()
        if day.weekday() in days:
            window_start = datetime.combine(day, open_at, tzinfo=zone)
            window_end = datetime.combine(day, close_at, tzinfo=zone)
            current = max(current, window_start)
            if current < window_end:
                # Differences of aware datetimes in one zone ignore DST; go through UTC to count real minutes.
                available = window_end.astimezone(UTC) - current.astimezone(UTC)
                if remaining <= available:
                    return (current.astimezone(UTC) + remaining).astimezone(start.tzinfo)
                remaining -= available
        current = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return (current.astimezone(UTC) + remaining).astimezone(start.tzinfo)


def default_policy(*, tenant: Tenant) -> SlaPolicy | None:
    return SlaPolicy.objects.for_tenant(tenant).filter(is_default=True).first()


def sla_compute_due(
    *, policy: SlaPolicy | None, priority: str, start: datetime
) -> tuple[datetime | None, datetime | None]:
    if policy is None:
        return None, None
    targets = policy.targets.get(priority) or policy.targets.get(Priority.NORMAL) or {}
    result: list[datetime | None] = []
    for key in TARGET_KEYS:
        minutes = targets.get(key)
        result.append(add_business_minutes(start, int(minutes), policy.business_hours) if minutes else None)
    return result[0], result[1]


def sla_on_status_change(*, ticket: Ticket, old: str, new: str) -> list[str]:
    """Pause the clocks while the ticket waits on the customer; resume them shifted by the paused time."""
    now = timezone.now()
    changed: list[str] = []
    if new == Status.PENDING and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
        changed.append("sla_paused_at")
    elif old == Status.PENDING and new != Status.PENDING and ticket.sla_paused_at is not None:
        paused = now - ticket.sla_paused_at
        if ticket.first_response_at is None and ticket.first_response_due_at:
            ticket.first_response_due_at += paused
            changed.append("first_response_due_at")
        if ticket.resolution_due_at:
            ticket.resolution_due_at += paused
            changed.append("resolution_due_at")
        ticket.sla_paused_at = None
        changed.append("sla_paused_at")
    if new in (Status.SOLVED, Status.CLOSED) and ticket.resolved_at is None:
        ticket.resolved_at = now
        changed.append("resolved_at")
    if new == Status.OPEN and old == Status.SOLVED:
        ticket.resolved_at = None
        changed.append("resolved_at")
    if new == Status.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    return changed


@transaction.atomic
def sla_mark_breaches(*, tenant: Tenant, now: datetime | None = None) -> int:
    """Mark tickets whose clocks ran out (pending tickets are paused and never breach). Safe to run twice."""
    now = now or timezone.now()
    running = Ticket.objects.for_tenant(tenant).filter(status__in=(Status.NEW, Status.OPEN), sla_paused_at__isnull=True)
    first = running.filter(
        first_response_at__isnull=True, first_response_due_at__lt=now, first_response_breached_at__isnull=True
    )
    resolution = running.filter(
        resolved_at__isnull=True, resolution_due_at__lt=now, resolution_breached_at__isnull=True
    )
    count = 0
    for field, queryset in (("first_response", first), ("resolution", resolution)):
        for ticket in queryset.select_for_update(skip_locked=True).order_by("id")[:500]:
            setattr(ticket, f"{field}_breached_at", now)
            ticket.save(update_fields=[f"{field}_breached_at"])
            record_event(tenant=tenant, ticket=ticket, actor=None, kind=EventKind.SLA_BREACHED, data={"target": field})
            webhooks_dispatch(tenant=tenant, event="ticket.sla_breached",
                              payload={"ticket_id": ticket.id, "number": ticket.number, "target": field})
            count += 1
    return count

