"""Live chat: a tenant's chat settings, visitors, conversations and their messages."""

from __future__ import annotations

import re
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantForeignKey, TenantOwned

# scheme://host[:port]: a DNS name (letters, digits, hyphens) or an IPv4 address; no wildcard, path or space.
ORIGIN = re.compile(r"https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
                    r"(?::\d{1,5})?")


class ChatSettings(TenantOwned):
    """One row per tenant (created on first save); a missing row means the defaults below."""

    # Origins (scheme://host[:port]) whose pages may embed the widget; one per line. Empty: hosted page only.
    allowed_origins = models.TextField(blank=True, default="")
    prechat_form = models.BooleanField(default=True, help_text="Ask for name and email before the chat starts.")
    # Blank: the greeting in the customer's language (templates/chat/page.html); set, the tenant's own words.
    welcome = models.CharField(max_length=200, blank=True, default="")
    # Fixed-window limits on customer messages, counted in Redis so every web process shares them.
    visitor_messages_per_minute = models.PositiveIntegerField(default=30)
    tenant_messages_per_minute = models.PositiveIntegerField(default=6000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="chat_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"chat settings of {self.tenant_id}"

    @property
    def origins(self) -> list[str]:
        """The allowed origins that are well formed: they go into a Content-Security-Policy header, where a "*" or a
        space would allow any site to frame the chat (rows saved before validation was strict are filtered)."""
        lines = (line.strip().rstrip("/").lower() for line in self.allowed_origins.splitlines())
        return [line for line in lines if ORIGIN.fullmatch(line)]


class Visitor(TenantOwned):
    """A customer on the chat page or widget; the browser holds a signed token naming ``key``."""

    key = models.CharField(max_length=32)
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="chat_visitor_unique_key")]

    def __str__(self) -> str:
        return self.name or self.email or f"visitor {self.key[:6]}"


class Status(models.TextChoices):
    BOT = "bot", _("With the bot")
    WAITING = "waiting", _("Waiting for an agent")
    AGENT = "agent", _("With an agent")
    CLOSED = "closed", _("Closed")


class Conversation(TenantOwned):
    visitor = TenantForeignKey(Visitor, on_delete=models.CASCADE, related_name="conversations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOT)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A transfer to a team leaves the conversation waiting for that team's agents.
    team = models.CharField(max_length=80, blank=True)
    # Once a human has taken over, the bot stays silent for the rest of the conversation (reopen included).
    bot_silenced = models.BooleanField(default=False)
    handoff_reason = models.CharField(max_length=40, blank=True)
    handoff_summary = models.TextField(blank=True)
    handoff_sources = models.JSONField(default=list, blank=True)
    # The last sequence number handed out; incremented under the row lock, so numbers are gapless and ordered.
    last_seq = models.PositiveIntegerField(default=0)
    customer_read_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    resolved = models.BooleanField(null=True, blank=True)
    # The ticket made from this conversation, when it ended unresolved or was converted (same tenant).
    ticket = TenantForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    csat_score = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_comment = models.TextField(blank=True)
    # Triage of the customer's messages (set by the AI through ``chat.services.conversation_set_triage``): the
    # latest message's sentiment and language, the first confident category, and the lowest sentiment seen, which
    # decides "urgent when angry" if the chat becomes a ticket after the customer calmed down.
    category = models.CharField(max_length=100, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_min = models.FloatField(null=True, blank=True)
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "status", "-updated_at"]),
            models.Index(fields=["tenant", "assigned_agent", "status"]),
            models.Index(fields=["tenant", "visitor", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk} ({self.status})"


class Sender(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class ChatMessage(TenantOwned):
    conversation = TenantForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=10, choices=Sender.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    # Internal notes (and hand-off summaries) are for agents only; customers never receive them.
    internal = models.BooleanField(default=False)
    text = models.TextField()
    attachments = models.JSONField(default=list, blank=True)
    # {"citations": [{"title", "url"}]} for bot answers; free-form extras otherwise.
    meta = models.JSONField(default=dict, blank=True)
    # The client's own id for the message: a resend with the same id returns the stored message.
    client_msg_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "conversation", "seq"], name="chat_message_unique_seq"),
            models.UniqueConstraint(
                fields=["tenant", "conversation", "client_msg_id"], name="chat_message_unique_client_id",
                condition=~models.Q(client_msg_id=""),
            ),
        ]
        ordering: ClassVar[list[str]] = ["seq"]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq} {self.sender}"

    @property
    def citations(self) -> list[dict[str, str]]:
        return list(self.meta.get("citations") or [])


class ChatAttachment(TenantOwned):
    """A file sent in a chat. Kept in the database like tickets' attachments (bounded by MAX_ATTACHMENT_BYTES), so
    every web and worker process can read it. Uploaded first, then referenced by id from one or more messages
    of the same conversation (the message keeps a copy of the metadata in ``ChatMessage.attachments``)."""

    conversation = TenantForeignKey(Conversation, on_delete=models.CASCADE, related_name="files")
    # Which side uploaded it (customer or agent): a side may only send its own uploads.
    side = models.CharField(max_length=10, choices=Sender.choices)
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "conversation"], name="chat_attachment_conversation")]

    def __str__(self) -> str:
        return self.filename
