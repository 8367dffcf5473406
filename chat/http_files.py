"""HTTP plumbing shared by the customer's and the agents' file endpoints: reading an upload, serving a download."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from chat.models import ChatAttachment
from chat.services.attachments import check_size

# Multipart framing around the file: a body larger than the limit plus this is refused before it is parsed.
_MULTIPART_SLACK = 64 * 1024


@dataclass(frozen=True)
class UploadIn:
    filename: str
    content_type: str
    data: bytes


def read_upload(request: HttpRequest) -> UploadIn:
    """The one file of a multipart POST in field ``file``, or a ValidationError with a field message."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.MAX_ATTACHMENT_BYTES + _MULTIPART_SLACK:
        check_size(length - _MULTIPART_SLACK)
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": _("Choose a file to send.")})
    check_size(upload.size or 0)
    return UploadIn(filename=upload.name or "", content_type=upload.content_type or "", data=upload.read())


def errors_response(exc: ValidationError, *, status: int = 400) -> JsonResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return JsonResponse({"detail": " ".join(m for ms in errors.values() for m in ms), "errors": errors},
                        status=status)


def uploaded_response(item: ChatAttachment) -> JsonResponse:
    return JsonResponse({"id": item.id, "filename": item.filename, "content_type": item.content_type,
                         "size": item.size}, status=201)


def attachment_response(item: ChatAttachment) -> HttpResponse:
    """Always a download, never rendered in our origin, whatever the file holds."""
    response = HttpResponse(bytes(item.data), content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(True, item.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
