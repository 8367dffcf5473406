"""Project-wide Celery tasks (beat)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="helpdesk.tasks.scheduled_release")
def scheduled_release() -> int:
    """Beat: send the tasks whose time has come (helpdesk/schedule.py)."""
    from helpdesk import schedule

    return schedule.scheduled_release()
