"""Files in chats: upload (validated), then referenced by id from a message of the same conversation; uploads that
no message ever referenced are purged after a day (``unsent_attachments_purge``).

What may be uploaded is an allowlist by file extension, and the stored content type is ours, never the browser's:
nothing that a browser would run (HTML, SVG, JavaScript) can get in, and downloads are served as attachments with
``nosniff`` anyway (chat/downloads.py), so a file is never rendered in our origin.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from datetime import timedelta
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import selectors
from chat.models import ChatAttachment, ChatMessage, Conversation, Sender, Status, Visitor
from helpdesk import ratelimit
from tenants.models import Tenant, User

logger = logging.getLogger(__name__)

# A message may carry this many files.
MAX_PER_MESSAGE = 5
# Uploads per visitor per minute (each file may be MAX_ATTACHMENT_BYTES): storage abuse, not chat, is the worry.
VISITOR_UPLOADS_PER_MINUTE = 20
# An upload that no message references is deleted once it is this old: long enough for someone still typing.
UNSENT_MAX_AGE = timedelta(hours=24)

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
        raise ValidationError({"file": _("The file needs a name.")})
    stem, dot, ext = name.rpartition(".")
    if len(name) > 255:
        name = (stem[: max(1, 250 - len(ext))] + dot + ext)[:255]
    return name


def _content_type(filename: str, declared: str, data: bytes) -> str:
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    allowed = ALLOWED.get(ext)
    if allowed is None:
        kinds = ", ".join(sorted(ALLOWED))
        raise ValidationError({"file": _("This kind of file can't be sent. Allowed: %(kinds)s.") % {"kinds": kinds}})
    declared = (declared or "").split(";", 1)[0].strip().lower()
    if any(active in declared for active in _ACTIVE_TYPES):
        raise ValidationError({"file": _("Files of type %(type)s can't be sent.") % {"type": declared}})
    magic = _MAGIC.get(allowed)
    if magic is not None and not data.startswith(magic):
        raise ValidationError({"file": _("%(filename)s is not really a .%(ext)s file.")
                               % {"filename": filename, "ext": ext}})
    return allowed


def check_size(size: int) -> None:
    """Also called by the views before reading the body, so an oversized upload is refused early."""
    limit = settings.MAX_ATTACHMENT_BYTES
    if size > limit:
        raise ValidationError({"file": _("Files are limited to %(mb)s MB (%(limit)s bytes); "
                                         "this one has %(size)s bytes.")
                               % {"mb": limit // (1024 * 1024), "limit": limit, "size": size}})


def attachment_upload(
    *, tenant: Tenant, conversation: Conversation, side: str, uploader: User | None, filename: str,
    content_type: str, data: bytes,
) -> ChatAttachment:
    """Store one file of ``side`` (customer or agent) in the conversation; send it with a message afterwards."""
    if side not in (Sender.CUSTOMER, Sender.AGENT):
        raise ValueError(side)
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    check_size(len(data))
    name = _clean_filename(filename)
    stored_type = _content_type(name, content_type, data)
    if conversation.status == Status.CLOSED:
        raise ValidationError({"conversation": _("This conversation is closed.")})
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
        raise ValidationError({"conversation": _("Start a chat first.")})
    if not ratelimit.hit(scope=f"chat:upload:{tenant.id}:{visitor.id}", limit=VISITOR_UPLOADS_PER_MINUTE):
        raise ValidationError({"file": _("Too many files at once; wait a moment and try again.")})
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
        raise ValidationError({"attachments": _("Give a list of attachment ids.")})
    ids = list(dict.fromkeys(attachment_ids))
    if len(ids) > MAX_PER_MESSAGE:
        raise ValidationError({"attachments": _("A message can carry at most %(limit)s files.")
                                      % {"limit": MAX_PER_MESSAGE}})
    # Locked until the message commits (in id order, so two messages sending the same files cannot deadlock): the
    # purge of unsent uploads skips locked rows, so it never deletes a file under a message being sent with it.
    found = {
        row["id"]: row for row in ChatAttachment.objects.for_tenant(tenant)
        .filter(conversation_id=conversation_id, side=side, id__in=ids)
        .order_by("id").select_for_update(no_key=True)
        .values("id", "filename", "content_type", "size")
    }
    if len(found) != len(ids):
        raise ValidationError({"attachments": _("Unknown attachment: upload the file in this conversation first.")})
    return [AttachmentMeta(id=i, filename=found[i]["filename"], content_type=found[i]["content_type"],
                           size=found[i]["size"]) for i in ids]


# "No message of its conversation names this file". Messages keep their files as a JSON list of
# {"id", "filename", ...}; expanding those lists into (conversation_id, id) pairs gives an anti-join on plain
# equalities, which PostgreSQL may run as one hash over the tenant's messages with files or as a walk of each
# candidate's conversation by the (tenant, conversation, seq) index, whichever is cheaper. A containment test
# (``attachments @> '[{"id": N}]'``) can only be the second: one probe of the conversation per candidate, however
# many candidates share it. Ids are compared as text, so a malformed entry is simply no match, never a cast error.
_UNREFERENCED = """NOT EXISTS (
    SELECT 1 FROM {messages} AS m CROSS JOIN LATERAL jsonb_array_elements(m.attachments) AS sent(item)
    WHERE m.tenant_id = a.tenant_id AND m.conversation_id = a.conversation_id
      AND m.attachments <> '[]'::jsonb AND sent.item ->> 'id' = a.id::text
)"""


@transaction.atomic
def unsent_attachments_purge(*, tenant: Tenant, older_than: timedelta = UNSENT_MAX_AGE) -> int:
    """Delete the tenant's uploads older than ``older_than`` that no message of their conversation references;
    returns how many. Files of sent messages stay whatever their age, and so do recent uploads (the message may
    still be being written). Run inside the tenant's context; safe to run twice or concurrently."""
    if older_than <= timedelta(0):
        raise ValueError("older_than must be positive: a fresh upload may be about to be sent.")
    files, messages = ChatAttachment._meta.db_table, ChatMessage._meta.db_table
    unreferenced = _UNREFERENCED.format(messages=messages)
    with connection.cursor() as cursor:
        # Lock the orphans first, skipping any file that a message being sent has locked (attachments_for_message);
        # a send that comes after this waits for us and then finds its file gone (a clean "unknown attachment").
        cursor.execute(
            f"SELECT a.id FROM {files} AS a WHERE a.tenant_id = %s AND a.created_at < %s AND {unreferenced} "
            "FOR UPDATE OF a SKIP LOCKED",
            [tenant.id, timezone.now() - older_than],
        )
        orphan_ids = [row[0] for row in cursor.fetchall()]
        if not orphan_ids:
            return 0
        # Checked again by a new statement, whose snapshot includes every message committed before we held the
        # locks: a file sent between the first statement's snapshot and our lock is kept.
        cursor.execute(
            f"DELETE FROM {files} AS a WHERE a.tenant_id = %s AND a.id = ANY(%s) AND {unreferenced}",
            [tenant.id, orphan_ids],
        )
        deleted = cursor.rowcount
    logger.info("Deleted %d unsent chat uploads of tenant %s.", deleted, tenant.id)
    return deleted
