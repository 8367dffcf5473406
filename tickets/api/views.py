"""REST API of the tickets app under /t/<slug>/api/v1/. Views translate and delegate to services/selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api_errors import ErrorSerializer, error_body
from helpdesk.http import query_text
from helpdesk.pagination import CursorPagination
from tenants.api_auth import IsTenantAdmin, IsTenantAdminForWrites
from tenants.models import ApiKey, Tenant, User
from tickets import selectors, services
from tickets.api import serializers as s
from tickets.models import Ticket


def _tenant(request: Request) -> Tenant:
    return request._request.tenant  # type: ignore[attr-defined,no-any-return]


def _actor(request: Request) -> tuple[User | None, str]:
    """A member's session acts as that user; an API key acts as itself (recorded by its prefix)."""
    if isinstance(request.auth, ApiKey):
        return None, f"api-key:{request.auth.prefix}"
    return request.user, ""  # type: ignore[return-value]


def _ticket(request: Request, ticket_id: int) -> Ticket:
    return selectors.ticket_get(tenant=_tenant(request), user=_actor(request)[0], ticket_id=ticket_id)


QUEUE_PARAMS = [
    OpenApiParameter("view", str, enum=list(selectors.QUEUE_VIEWS)),
    OpenApiParameter("status", str), OpenApiParameter("priority", str), OpenApiParameter("team", int),
    OpenApiParameter("assignee", int), OpenApiParameter("tag", str), OpenApiParameter("channel", str),
    OpenApiParameter("q", str, description="Full-text search, a #number, or a requester email."),
]


class TicketCursorPagination(CursorPagination):
    """Newest first by the per-tenant number, which the tenant's indexes serve (see Ticket.Meta)."""

    ordering = "-number"


class TicketListView(generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = s.TicketSerializer
    pagination_class = TicketCursorPagination

    def get_queryset(self) -> QuerySet[Ticket]:
        filters = selectors.TicketFilters.from_params(self.request.query_params)
        return selectors.ticket_list(tenant=_tenant(self.request), user=_actor(self.request)[0], filters=filters)

    @extend_schema(parameters=QUEUE_PARAMS, responses=s.TicketSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.TicketSerializer(page, many=True).data)

    @extend_schema(request=s.TicketCreateSerializer, responses={201: s.TicketSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(s.TicketCreateSerializer, request.data)
        tenant = _tenant(request)
        actor, label = _actor(request)
        team = selectors.team_get(tenant=tenant, team_id=data["team_id"]) if data["team_id"] else None
        ticket = services.ticket_create(
            tenant=tenant, subject=data["subject"], body=data["body"], channel=data["channel"],
            requester_email=data["requester_email"], requester_name=data["requester_name"],
            priority=data["priority"], team=team, tags=data["tags"],
            attachments=s.attachments_in(data["attachments"]), actor=actor, actor_label=label,
        )
        return Response(s.TicketSerializer(_ticket(request, ticket.id)).data, status=status.HTTP_201_CREATED)


def _valid(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class TicketDetailView(APIView):
    @extend_schema(responses=s.TicketSerializer)
    def get(self, request: Request, ticket_id: int) -> Response:
        return Response(s.TicketSerializer(_ticket(request, ticket_id)).data)

    @extend_schema(request=s.TicketUpdateSerializer, responses=s.TicketSerializer)
    def patch(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        data = _valid(s.TicketUpdateSerializer, request.data)
        tenant, (actor, label) = _tenant(request), _actor(request)
        services.ticket_update(
            tenant=tenant, ticket=ticket, actor=actor, actor_label=label, priority=data.get("priority"),
            team_id=data.get("team_id", False), tags=data.get("tags"),
            subject=data.get("subject"), category=data.get("category"),
        )
        if "assignee_id" in data:
            services.ticket_assign(tenant=tenant, ticket=ticket, assignee_id=data["assignee_id"], actor=actor,
                                   actor_label=label)
        if "status" in data:
            services.ticket_set_status(tenant=tenant, ticket=ticket, status=data["status"], actor=actor,
                                       actor_label=label)
        return Response(s.TicketSerializer(_ticket(request, ticket_id)).data)


class TicketMessagesView(APIView):
    @extend_schema(responses=s.MessageSerializer(many=True))
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        messages = selectors.ticket_messages(tenant=_tenant(request), ticket=ticket)
        return Response(s.MessageSerializer(messages, many=True).data)

    @extend_schema(request=s.MessageCreateSerializer, responses={201: s.MessageSerializer})
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        data = _valid(s.MessageCreateSerializer, request.data)
        tenant, (actor, label) = _tenant(request), _actor(request)
        attachments = s.attachments_in(data["attachments"])
        if data["kind"] == "note":
            message = services.ticket_note(tenant=tenant, ticket=ticket, author=actor, body=data["body"],
                                           attachments=attachments)
        else:
            message = services.ticket_reply(tenant=tenant, ticket=ticket, author=actor, body=data["body"],
                                            attachments=attachments, status=data.get("status"), author_label=label)
        message = selectors.ticket_messages(tenant=tenant, ticket=ticket).get(id=message.id)
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class TicketRoundRobinView(APIView):
    @extend_schema(request=s.RoundRobinSerializer, responses=s.TicketSerializer)
    def post(self, request: Request, ticket_id: int) -> Response:
        """Assign to the team's available agent who was given a ticket longest ago."""
        ticket = _ticket(request, ticket_id)
        data = _valid(s.RoundRobinSerializer, request.data)
        team = selectors.team_get(tenant=_tenant(request), team_id=data["team_id"])
        services.ticket_assign_round_robin(tenant=_tenant(request), ticket=ticket, team=team,
                                           actor=_actor(request)[0])
        return Response(s.TicketSerializer(_ticket(request, ticket_id)).data)


class TicketMergeView(APIView):
    @extend_schema(request=s.MergeSerializer, responses=s.TicketSerializer)
    def post(self, request: Request, ticket_id: int) -> Response:
        source = _ticket(request, ticket_id)
        data = _valid(s.MergeSerializer, request.data)
        target = _ticket(request, data["target_id"])
        services.ticket_merge(tenant=_tenant(request), source=source, target=target, actor=_actor(request)[0])
        return Response(s.TicketSerializer(_ticket(request, target.id)).data)


class TicketApplyMacroView(APIView):
    @extend_schema(request=s.ApplyMacroSerializer, responses=s.TicketSerializer)
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        data = _valid(s.ApplyMacroSerializer, request.data)
        tenant = _tenant(request)
        macro = selectors.macro_get(tenant=tenant, macro_id=data["macro_id"])
        services.macro_apply(tenant=tenant, ticket=ticket, macro=macro, actor=_actor(request)[0],
                             body=data.get("body"))
        return Response(s.TicketSerializer(_ticket(request, ticket_id)).data)


class CustomerListView(generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = s.CustomerSerializer

    def get_queryset(self) -> QuerySet[Any]:
        q = query_text(self.request.query_params.get("q"), max_length=100)
        return selectors.customer_list(tenant=_tenant(self.request), q=q)

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses=s.CustomerSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.CustomerSerializer(page, many=True).data)

    @extend_schema(request=s.CustomerSerializer, responses={201: s.CustomerSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(s.CustomerSerializer, request.data)
        customer = services.customer_get_or_create(tenant=_tenant(request), email=data.get("email"),
                                                   name=data.get("name", ""), external_id=data.get("external_id", ""))
        return Response(s.CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailView(APIView):
    @extend_schema(responses=s.CustomerSerializer)
    def get(self, request: Request, customer_id: int) -> Response:
        return Response(s.CustomerSerializer(selectors.customer_get(tenant=_tenant(request),
                                                                    customer_id=customer_id)).data)


class TeamListView(APIView):
    permission_classes = [IsTenantAdminForWrites]

    @extend_schema(responses=s.TeamSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(s.TeamSerializer(selectors.team_list(tenant=_tenant(request)), many=True).data)

    @extend_schema(request=s.TeamCreateSerializer, responses={201: s.TeamSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(s.TeamCreateSerializer, request.data)
        team = services.team_create(tenant=_tenant(request), name=data["name"], member_ids=data["member_ids"])
        team = selectors.team_get(tenant=_tenant(request), team_id=team.id)
        return Response(s.TeamSerializer(team).data, status=status.HTTP_201_CREATED)


class TeamDetailView(APIView):
    permission_classes = [IsTenantAdminForWrites]

    @extend_schema(responses=s.TeamSerializer)
    def get(self, request: Request, team_id: int) -> Response:
        return Response(s.TeamSerializer(selectors.team_get(tenant=_tenant(request), team_id=team_id)).data)


class MacroListView(APIView):
    permission_classes = [IsTenantAdminForWrites]

    @extend_schema(responses=s.MacroSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(s.MacroSerializer(selectors.macro_list(tenant=_tenant(request)), many=True).data)

    @extend_schema(request=s.MacroSerializer, responses={201: s.MacroSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(s.MacroSerializer, request.data)
        macro = services.macro_create(tenant=_tenant(request), name=data["name"], body=data.get("body", ""),
                                      actions=data.get("actions", {}))
        return Response(s.MacroSerializer(macro).data, status=status.HTTP_201_CREATED)


class MacroDetailView(APIView):
    permission_classes = [IsTenantAdminForWrites]

    @extend_schema(responses=s.MacroSerializer)
    def get(self, request: Request, macro_id: int) -> Response:
        return Response(s.MacroSerializer(selectors.macro_get(tenant=_tenant(request), macro_id=macro_id)).data)


class WebhookListView(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=s.WebhookSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(s.WebhookSerializer(selectors.webhook_list(tenant=_tenant(request)), many=True).data)

    @extend_schema(request=s.WebhookSerializer, responses={201: s.WebhookCreatedSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(s.WebhookSerializer, request.data)
        actor, via = _actor(request)
        created = services.webhook_create(tenant=_tenant(request), actor=actor, via=via, url=data["url"],
                                          events=data["events"])
        # The signing secret is in this answer only; it is stored encrypted and never shown again.
        return Response({**s.WebhookSerializer(created.webhook).data, "secret": created.secret},
                        status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=s.WebhookSerializer)
    def get(self, request: Request, webhook_id: int) -> Response:
        return Response(s.WebhookSerializer(selectors.webhook_get(tenant=_tenant(request),
                                                                  webhook_id=webhook_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, webhook_id: int) -> Response:
        webhook = selectors.webhook_get(tenant=_tenant(request), webhook_id=webhook_id)
        actor, via = _actor(request)
        services.webhook_delete(tenant=_tenant(request), actor=actor, via=via, webhook=webhook)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(generics.GenericAPIView):  # type: ignore[type-arg]
    permission_classes = [IsTenantAdmin]
    serializer_class = s.WebhookDeliverySerializer

    @extend_schema(responses=s.WebhookDeliverySerializer(many=True))
    def get(self, request: Request, webhook_id: int) -> Response:
        webhook = selectors.webhook_get(tenant=_tenant(request), webhook_id=webhook_id)
        page = self.paginate_queryset(selectors.webhook_deliveries(tenant=_tenant(request), webhook=webhook))
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)


class RawMimeParser(BaseParser):
    """Accepts the raw message whatever its declared type; the view reads the bytes itself."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return bytes(stream.read()) if stream is not None else b""


class InboundEmailView(APIView):
    """POST raw MIME with header ``X-Inbound-Secret``; the tenant's secret is shown on its email settings page."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [RawMimeParser]

    @extend_schema(request={"message/rfc822": bytes}, responses={
        200: s.InboundResultSerializer, 201: s.InboundResultSerializer,
        403: OpenApiResponse(ErrorSerializer, description="The X-Inbound-Secret header is missing or wrong."),
    })
    def post(self, request: Request) -> Response:
        tenant = _tenant(request)
        if not services.inbound_secret_check(tenant=tenant, secret=request.headers.get("X-Inbound-Secret", "")):
            return Response(error_body("Invalid inbound secret."), status=status.HTTP_403_FORBIDDEN)
        raw = request.data if isinstance(request.data, bytes) else b""
        result = services.ingest_email(tenant=tenant, raw=raw)
        body = {"outcome": result.outcome, "ticket_id": result.ticket.id if result.ticket else None,
                "message_id": result.message.id if result.message else None, "reason": result.reason}
        return Response(body, status=status.HTTP_201_CREATED if result.outcome == "created" else status.HTTP_200_OK)
