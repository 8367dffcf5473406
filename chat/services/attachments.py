"""Files in chats: upload (validated), then referenced by id from a message of the same conversation.

What may be uploaded is an allowlist by file extension, and the stored content type is ours, never the browser's:
nothing that a browser would run (HTML, SVG, JavaScript) can get in, and downloads are served as attachments with
``nosniff`` anyway (chat/downloads.py), so a file is never rendered in our origin.
"""

from __future__ import annotations

import os
import unicodedata
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError

from chat import ratelimit, selectors
from chat.models import ChatAttachment, Conversation, Sender, Status, Visitor
from tenants.models import Tenant, User

# A message may carry this many files.
MAX_PER_MESSAGE = 5
# Uploads per visitor per minute (each file may be MAX_ATTACHMENT_BYTES): storage abuse, not chat, is the worry.
VISITOR_UPLOADS_PER_MINUTE = 20

# Extension -> the content type we store and serve. Everything else is refused.
ALLOWED: dict[str, str] = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
    "pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv", "log": "text/plain",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
# A declared type that says "this runs in a browser" is refused even under an allowed name (a.png as text/html).
_ACTIVE_TYPES = ("text/html", "application/xhtml", "image/svg", "javascript", "ecmascript", "text/xml",
                 "application/xml", "application/x-msdownload", "application/x-sh")
# Types whose first bytes we can check cheaply: a "photo.png" that is really a web page is refused.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
}


class AttachmentMeta(TypedDict):
    """What a message stores about each of its files (ChatMessage.attachments)."""

    id: int
    filename: str
    content_type: str
    size: int


def _clean_filename(filename: object) -> str:
    name = os.path.basename(str(filename or "").replace("\\", "/"))
    # No control characters (header injection in Content-Disposition) and no invisible tricks.
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    if not name or name in {".", ".."}:
        raise ValidationError({"file": "The file needs a name."})
    stem, dot, ext = name.rpartition(".")
    if len(name) > 255:
        name = (stem[: max(1, 250 - len(ext))] + dot + ext)[:255]
    return name


def _content_type(filename: str, declared: str, data: bytes) -> str:
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    allowed = ALLOWED.get(ext)
    if allowed is None:
        kinds = ", ".join(sorted(ALLOWED))
        raise ValidationError({"file": f"This kind of file can't be sent. Allowed: {kinds}."})
    declared = (declared or "").split(";", 1)[0].strip().lower()
    if any(active in declared for active in _ACTIVE_TYPES):
        raise ValidationError({"file": f"Files of type {declared} can't be sent."})
    magic = _MAGIC.get(allowed)
    if magic is not None and not data.startswith(magic):
        raise ValidationError({"file": f"{filename} is not really a .{ext} file."})
    return allowed


def check_size(size: int) -> None:
    """Also called by the views before reading the body, so an oversized upload is refused early."""
    limit = settings.MAX_ATTACHMENT_BYTES
    if size > limit:
        raise ValidationError({"file": f"Files are limited to {limit // (1024 * 1024)} MB "
                                       f"({limit} bytes); this one has {size} bytes."})


def attachment_upload(
    *, tenant: Tenant, conversation: Conversation, side: str, uploader: User | None, filename: str,
    content_type: str, data: bytes,
) -> ChatAttachment:
    """Store one file of ``side`` (customer or agent) in the conversation; send it with a message afterwards."""
    if side not in (Sender.CUSTOMER, Sender.AGENT):
        raise ValueError(side)
    if not data:
        raise ValidationError({"file": "The file is empty."})
    check_size(len(data))
    name = _clean_filename(filename)
    stored_type = _content_type(name, content_type, data)
    if conversation.status == Status.CLOSED:
        raise ValidationError({"conversation": "This conversation is closed."})
    return ChatAttachment.objects.create(
        tenant=tenant, conversation=conversation, side=side, uploader=uploader, filename=name,
        content_type=stored_type, size=len(data), data=data,
    )


def visitor_attachment_upload(
    *, tenant: Tenant, visitor: Visitor, filename: str, content_type: str, data: bytes
) -> ChatAttachment:
    """A customer's upload, into their current conversation (the one their socket is on)."""
    conversation = selectors.conversation_of_visitor(tenant=tenant, visitor=visitor)
    if conversation is None:
        raise ValidationError({"conversation": "Start a chat first."})
    if not ratelimit.hit(scope=f"chat:upload:{tenant.id}:{visitor.id}", limit=VISITOR_UPLOADS_PER_MINUTE):
        raise ValidationError({"file": "Too many files at once; wait a moment and try again."})
    return attachment_upload(tenant=tenant, conversation=conversation, side=Sender.CUSTOMER, uploader=None,
                             filename=filename, content_type=content_type, data=data)


def attachments_for_message(
    *, tenant: Tenant, conversation_id: int, attachment_ids: object, side: str
) -> list[AttachmentMeta]:
    """Resolve the ids a message frame references: uploads of this side, in this conversation, at most
    MAX_PER_MESSAGE. Anything else (another conversation's or tenant's id, the other side's file) is refused."""
    if attachment_ids is None or attachment_ids == []:
        return []
    if not isinstance(attachment_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in attachment_ids
    ):
        raise ValidationError({"attachments": "Give a list of attachment ids."})
    ids = list(dict.fromkeys(attachment_ids))
    if len(ids) > MAX_PER_MESSAGE:
        raise ValidationError({"attachments": f"A message can carry at most {MAX_PER_MESSAGE} files."})
    found = {
        row["id"]: row for row in ChatAttachment.objects.for_tenant(tenant)
        .filter(conversation_id=conversation_id, side=side, id__in=ids)
        .values("id", "filename", "content_type", "size")
    }
    if len(found) != len(ids):
        raise ValidationError({"attachments": "Unknown attachment: upload the file in this conversation first."})
    return [AttachmentMeta(id=i, filename=found[i]["filename"], content_type=found[i]["content_type"],
                           size=found[i]["size"]) for i in ids]
