"""Every API error has the same shape: {"detail": ..., "errors": {field: [messages]}}; never a 500 for bad input.

DRF's views answer through ``exception_handler``; what fails before or around them (an id that is not a number, so
no URL matches; a body over DATA_UPLOAD_MAX_MEMORY_SIZE; a crash) reaches Django's error handlers, which answer
with ``error_response`` for API paths (helpdesk/views.py), and a body that never arrives is answered by the ASGI
layer (helpdesk/request_body.py). All of them build the body with ``error_body``.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# The tenant's REST API, its schema and its docs (helpdesk/urls.py): the paths whose errors are JSON.
API_PATH = re.compile(r"^/t/[^/]+/api/")


def is_api_path(path: str) -> bool:
    return API_PATH.match(path) is not None


def error_body(detail: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or {}}


def error_response(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse(error_body(detail), status=status_code)


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Every error: what went wrong, and the messages per field when the input was invalid."""

    detail = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        # Not a class attribute: every serializer has a property "errors" (its own validation errors).
        errors = serializers.DictField(
            child=serializers.JSONField(),
            help_text="Field name (or non_field_errors) -> messages; a list of items has one entry per item. "
                      "Empty unless the input was invalid.",
        )
        return {**super().get_fields(), "errors": errors}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body("Invalid input.", errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        # A serializer's errors are a dict; a ValidationError raised with a message or a list is a list.
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = error_body("Invalid input.", errors)
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = error_body(response.data["detail"])
    else:
        response.data = error_body("Invalid request.", {"non_field_errors": response.data})
    return response
