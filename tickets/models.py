"""Customers, teams, tickets, messages, macros, SLA policies, ticket events and webhooks."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.models import TenantForeignKey, TenantOwned


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


# Which status may follow which. Closed is final: a customer writing to a closed ticket starts a new one.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PENDING, Status.SOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.SOLVED, Status.CLOSED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    API = "api", _("API")


class Customer(TenantOwned):
    """A contact who writes in. Email is unique per tenant when present; so is the external id."""

    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["tenant", "email"], condition=~Q(email=""), name="customer_unique_email"),
            models.UniqueConstraint(
                fields=["tenant", "external_id"], condition=~Q(external_id=""), name="customer_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or f"customer {self.pk}"

    @property
    def display_name(self) -> str:
        return self.name or self.email or "Anonymous"


class Team(TenantOwned):
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["tenant", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantOwned):
    """Explicit tenant-owned through table. Round-robin picks the longest-idle available member."""

    team = TenantForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_available = models.BooleanField(default=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["tenant", "team", "user"], name="team_member_unique")
        ]


class SlaPolicy(TenantOwned):
    """Targets in minutes per priority: {"urgent": {"first_response": 30, "resolution": 240}, ...}.

    ``business_hours`` is optional: {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00",
    "timezone": "Europe/Berlin"} (UTC when no zone is given); when set, only those minutes count towards a target.
    """

    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False)
    targets = models.JSONField(default=dict)
    business_hours = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_default=True), name="sla_one_default"),
        ]

    def __str__(self) -> str:
        return self.name


class TicketCounter(TenantOwned):
    """The last ticket number handed out in a tenant; the row lock serialises concurrent creations."""

    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["tenant"], name="ticket_counter_unique")]


class Ticket(TenantOwned):
    number = models.PositiveIntegerField()
    subject = models.CharField(max_length=250)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    requester = TenantForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = TenantForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    category = models.CharField(max_length=100, blank=True)
    sentiment = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=20, blank=True)
    sla_policy = TenantForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    # Set while the ticket waits on the customer; the clocks resume shifted by the paused time.
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    csat_requested_at = models.DateTimeField(null=True, blank=True)
    csat_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_comment = models.TextField(blank=True)
    merged_into = TenantForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["tenant", "number"], name="ticket_unique_number")]
        indexes: ClassVar = [
            # Queues sort by the per-tenant number (newest first): unlike the global id, an index on
            # (tenant, ..., number) gives a tenant's newest rows without walking other tenants' ones.
            models.Index(fields=["tenant", "status", "-number"], name="ticket_tenant_status"),
            models.Index(fields=["tenant", "assignee", "status", "-number"], name="ticket_tenant_assignee"),
            models.Index(fields=["tenant", "team", "status", "-number"], name="ticket_tenant_team"),
            models.Index(fields=["tenant", "requester", "-number"], name="ticket_tenant_requester"),
            models.Index(fields=["tenant", "-updated_at"], name="ticket_tenant_updated"),
            models.Index(fields=["tenant", "resolution_due_at"], name="ticket_tenant_due"),
            GinIndex(fields=["search_vector"], name="ticket_search"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_breached(self) -> bool:
        return bool(self.first_response_breached_at or self.resolution_breached_at)

    @property
    def next_due_at(self) -> object:
        if self.first_response_at is None and self.first_response_due_at:
            return self.first_response_due_at
        return self.resolution_due_at


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class AuthorType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class EmailStatus(models.TextChoices):
    """A reply's mail to the requester. NONE: not emailed (a note, a customer's own message, a chat without email)."""

    NONE = "", "Not emailed"
    PENDING = "pending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Not sent"


class Message(TenantOwned):
    ticket = TenantForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.REPLY)
    author_type = models.CharField(max_length=10, choices=AuthorType.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_customer = TenantForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.TextField()
    # Sanitized HTML (nh3) when the source had HTML; the plain body is always there.
    body_html = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True)
    # Email threading: our own Message-ID for outbound mail, the sender's for inbound.
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE, blank=True)
    # Why the send failed for good, shown to agents next to the reply; cleared when it is sent after all.
    email_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["tenant", "ticket", "id"], name="message_tenant_ticket"),
            models.Index(fields=["tenant", "message_id"], name="message_tenant_msgid"),
        ]

    def __str__(self) -> str:
        return f"{self.author_type} {self.kind} on {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind == MessageKind.REPLY


class Attachment(TenantOwned):
    """Kept in the database (bounded by MAX_ATTACHMENT_BYTES), so every web and worker process can read it."""

    message = TenantForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, default="application/octet-stream")
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "message"], name="attachment_tenant_message")]


class Macro(TenantOwned):
    """A canned reply plus field changes: {"status": "pending", "priority": "high", "add_tags": ["x"],
    "remove_tags": [], "team_id": 3, "assign_to_me": true}."""

    name = models.CharField(max_length=120)
    body = models.TextField(blank=True)
    actions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["tenant", "name"], name="macro_unique_name")]

    def __str__(self) -> str:
        return self.name


class EventKind(models.TextChoices):
    """What a TicketEvent records. The values are also the realtime frame types and webhook "change" values."""

    CREATED = "ticket.created", pgettext_lazy("ticket event", "Created")
    STATUS_CHANGED = "status.changed", _("Status changed")
    ASSIGNEE_CHANGED = "assignee.changed", _("Assignee changed")
    TEAM_CHANGED = "team.changed", _("Team changed")
    PRIORITY_CHANGED = "priority.changed", _("Priority changed")
    TAGS_CHANGED = "tags.changed", _("Tags changed")
    SUBJECT_CHANGED = "subject.changed", _("Subject changed")
    CATEGORY_CHANGED = "category.changed", _("Category changed")
    TRIAGE_SET = "triage.set", _("Smart triage")
    MERGED = "ticket.merged", _("Merged into another ticket")
    MACRO_APPLIED = "macro.applied", _("Canned reply applied")
    SYSTEM_NOTE = "note.system", _("System note")
    SLA_BREACHED = "sla.breached", _("SLA breached")
    CSAT_SENT = "csat.sent", _("Satisfaction survey sent")
    CSAT_RATED = "csat.rated", _("Satisfaction rated")
    EMAIL_FAILED = "email.failed", _("Email not sent")
    EMAIL_RETRIED = "email.retried", _("Email sent again")


# Who acted when no user did (TicketEvent.actor_label); any other label (an email, an API key's name) shows as is.
ACTOR_LABELS = {
    "system": _("System"), "customer": _("Customer"), "mail": pgettext_lazy("ticket event actor", "Mail"),
    "chat": _("Chat"),
    "round-robin": _("Round-robin"), "triage": _("Smart triage"), "routing rule": _("Routing rule"),
}


class TicketEvent(TenantOwned):
    """Who changed what, when: {"field": "status", "from": "new", "to": "open"} and similar."""

    ticket = TenantForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=60, blank=True)
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "ticket", "id"], name="ticketevent_tenant_ticket")]

    @property
    def actor_display(self) -> str:
        if self.actor is not None:
            return self.actor.display_name
        return str(ACTOR_LABELS.get(self.actor_label, self.actor_label))

    @property
    def from_display(self) -> str:
        return str(self.data.get("from_name") or self._value_display(self.data.get("from")))

    @property
    def to_display(self) -> str:
        return str(self.data.get("to_name") or self._value_display(self.data.get("to")))

    def _value_display(self, value: object) -> str:
        """A status or priority code in the reader's language; other values (ids, tags, text) as they are."""
        choices = {"status": Status, "priority": Priority}.get(str(self.data.get("field", "")))
        if choices is not None and value in choices.values:
            return str(choices(value).label)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return "" if value is None else str(value)


WEBHOOK_EVENTS = ("ticket.created", "ticket.updated", "message.posted", "ticket.sla_breached")


class Webhook(TenantOwned):
    url = models.URLField(max_length=500)
    # The signing secret, Fernet-encrypted (helpdesk/crypto.py): shown once, in the answer that creates the webhook.
    secret = models.TextField()
    events = ArrayField(models.CharField(max_length=40), default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "is_active"], name="webhook_tenant_active")]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")


class WebhookDelivery(TenantOwned):
    webhook = TenantForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "webhook", "-id"], name="delivery_tenant_webhook")]
