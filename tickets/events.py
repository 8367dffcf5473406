"""Domain events of the tickets app, sent by services after the transaction commits.

Receivers (the AI app) only enqueue work; they must not write tickets' tables directly.
"""

from __future__ import annotations

from django.dispatch import Signal

ticket_created = Signal()  # kwargs: tenant_id: int, ticket_id: int
message_posted = Signal()  # kwargs: tenant_id: int, message_id: int
