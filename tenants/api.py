"""Tenant API: who am I, and the members (read-only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants import selectors
from tenants.api_auth import IsTenantAdmin
from tenants.models import ApiKey, Membership


class MeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    tenant = serializers.CharField()
    principal = serializers.CharField()
    role = serializers.CharField()


class MemberSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.name")

    class Meta:
        model = Membership
        fields = ("id", "email", "name", "role", "presence")


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        tenant = request._request.tenant  # type: ignore[attr-defined]
        if isinstance(request.auth, ApiKey):
            principal, role = f"api-key:{request.auth.prefix}", "admin"
        else:
            membership = request._request.membership  # type: ignore[attr-defined]
            principal, role = membership.user.email, membership.role
        return Response({"tenant": tenant.slug, "principal": principal, "role": role})


class MemberListView(APIView):
    permission_classes = [IsTenantAdmin]  # the members page is an admin's

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request: Request) -> Response:
        members = selectors.member_list(tenant=request._request.tenant)  # type: ignore[attr-defined]
        return Response(MemberSerializer(members, many=True).data)
