"""API shapes: output serializers read models; input serializers validate before a service is called."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import (
    WEBHOOK_EVENTS,
    Attachment,
    Channel,
    Customer,
    EmailStatus,
    Macro,
    Message,
    MessageKind,
    Priority,
    Status,
    Team,
    Ticket,
    Webhook,
    WebhookDelivery,
)
from tickets.services import AttachmentIn


class CustomerSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Customer
        fields = ("id", "email", "name", "external_id", "created_at")
        read_only_fields = ("id", "created_at")


class TicketSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    requester = CustomerSerializer(read_only=True)
    assignee_id = serializers.IntegerField(allow_null=True, read_only=True)
    # null when nobody is assigned (the default stands in for the missing assignee)
    assignee_email = serializers.EmailField(source="assignee.email", default=None, allow_null=True, read_only=True)
    team_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = Ticket
        fields = (
            "id", "number", "subject", "status", "priority", "channel", "requester", "assignee_id", "assignee_email",
            "team_id", "tags", "category", "sentiment", "language", "first_response_due_at", "resolution_due_at",
            "first_response_at", "resolved_at", "first_response_breached_at", "resolution_breached_at",
            "csat_rating", "merged_into_id", "created_at", "updated_at",
        )
        read_only_fields = fields


class AttachmentInSerializer(serializers.Serializer):  # type: ignore[type-arg]
    filename = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=120, default="application/octet-stream")
    content_base64 = serializers.CharField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            data = base64.b64decode(attrs["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError({"content_base64": gettext("Not valid base64.")})
        if len(data) > settings.MAX_ATTACHMENT_BYTES:
            raise serializers.ValidationError(
                {"content_base64": gettext("%(size)s bytes is over the limit of %(limit)s bytes.")
                 % {"size": len(data), "limit": settings.MAX_ATTACHMENT_BYTES}}
            )
        attrs["data"] = data
        return attrs


def attachments_in(items: list[dict[str, Any]]) -> list[AttachmentIn]:
    return [AttachmentIn(filename=i["filename"], content_type=i["content_type"], data=i["data"]) for i in items]


class TicketCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    subject = serializers.CharField(max_length=250)
    body = serializers.CharField(max_length=100_000)
    requester_email = serializers.EmailField()
    requester_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    team_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    attachments = AttachmentInSerializer(many=True, required=False, default=list)


class TicketUpdateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    subject = serializers.CharField(max_length=250, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee_id = serializers.IntegerField(required=False, allow_null=True)
    team_id = serializers.IntegerField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=30)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)


class AttachmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Attachment
        fields = ("id", "filename", "content_type", "size")


class MessageSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    attachments = AttachmentSerializer(many=True, read_only=True)
    author_email = serializers.SerializerMethodField()
    email_status = serializers.SerializerMethodField(
        help_text="The reply's mail to the requester: pending, sent or failed; null when it is not emailed.")
    email_error = serializers.SerializerMethodField(help_text="Why the mail was not sent; null unless failed.")

    class Meta:
        model = Message
        fields = ("id", "ticket_id", "kind", "author_type", "author_email", "body", "body_html", "citations",
                  "attachments", "message_id", "email_status", "email_error", "email_sent_at", "created_at")
        read_only_fields = fields

    def get_author_email(self, obj: Message) -> str | None:
        person = obj.author_user or obj.author_customer
        return person.email if person is not None else None

    @extend_schema_field(serializers.ChoiceField(choices=[v for v in EmailStatus.values if v], allow_null=True))
    def get_email_status(self, obj: Message) -> str | None:
        return obj.email_status or None

    def get_email_error(self, obj: Message) -> str | None:
        return obj.email_error if obj.email_status == EmailStatus.FAILED else None


class MessageCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=MessageKind.choices, default=MessageKind.REPLY)
    body = serializers.CharField(max_length=100_000)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    attachments = AttachmentInSerializer(many=True, required=False, default=list)


class RoundRobinSerializer(serializers.Serializer):  # type: ignore[type-arg]
    team_id = serializers.IntegerField()


class MergeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    target_id = serializers.IntegerField()


class ApplyMacroSerializer(serializers.Serializer):  # type: ignore[type-arg]
    macro_id = serializers.IntegerField()
    body = serializers.CharField(required=False, max_length=100_000)


class TeamSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    member_ids = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ("id", "name", "member_ids", "created_at")

    def get_member_ids(self, obj: Team) -> list[int]:
        return [m.user_id for m in obj.members.all()]


class TeamCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=120)
    member_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class MacroSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    # An object, never null (tickets.services.macro_validate_actions checks its keys and values).
    actions = serializers.DictField(required=False, help_text=(
        "Changes the macro makes: status, priority, add_tags and remove_tags (lists), team_id, assign_to_me."))

    class Meta:
        model = Macro
        fields = ("id", "name", "body", "actions", "created_at")
        read_only_fields = ("id", "created_at")


class WebhookSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), min_length=1)

    class Meta:
        model = Webhook
        fields: tuple[str, ...] = ("id", "url", "events", "is_active", "created_at")
        read_only_fields = ("id", "is_active", "created_at")


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to creating a webhook: the one time its signing secret is shown."""

    secret = serializers.CharField(read_only=True, help_text="HMAC-SHA256 signing secret; shown only here.")

    class Meta(WebhookSerializer.Meta):
        fields = (*WebhookSerializer.Meta.fields, "secret")


class WebhookDeliverySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = WebhookDelivery
        fields = ("id", "event", "payload", "status", "attempts", "last_status_code", "last_error", "created_at",
                  "delivered_at")


class InboundResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    outcome = serializers.CharField()
    ticket_id = serializers.IntegerField(allow_null=True)
    message_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
