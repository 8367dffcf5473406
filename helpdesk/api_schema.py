"""The OpenAPI schema's operations declare the errors they answer, in the one error envelope (helpdesk/api_errors.py).

One mechanism for every endpoint (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS), so a new view is documented truly without
repeating the error responses in each ``extend_schema``; a view that answers another error code, or describes one
of these differently, declares it in its own ``extend_schema(responses=...)``, which wins.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import ComponentRegistry

from helpdesk.api_errors import ErrorSerializer


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str,
                      registry: ComponentRegistry) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        envelope = {"application/json": {"schema": self.resolve_serializer(ErrorSerializer, "response").ref}}
        for code, description in self._error_codes(operation).items():
            operation["responses"].setdefault(code, {"description": description, "content": envelope})
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> dict[str, str]:
        has_body = "requestBody" in operation
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        security = operation.get("security", [])
        codes = {}
        if has_body or has_query:
            codes["400"] = "Invalid input: `errors` has a list of messages per field."
        if security and {} not in security:
            codes["401"] = "No credentials, or an invalid or revoked API key."
            codes["403"] = "The member's role does not allow this."
        # Every path starts with the tenant's slug, and a slug that names no help desk is a 404, like an id that
        # names nothing of this tenant's (or something of another tenant's: the answer is the same).
        codes["404"] = "Not found."
        if has_body:
            codes["413"] = "The request body is over the server's limit."
        return codes
