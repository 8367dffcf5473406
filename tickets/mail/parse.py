"""Raw MIME in, a plain structure out: addresses, threading headers, text, sanitized HTML, attachments.

Also says whether the mail was sent by a machine (auto-reply, bounce, list), which we must never answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

from helpdesk.text import single_line, without_nul
from tickets.sanitize import clean_html, html_to_text

MAX_RAW_BYTES = 40 * 1024 * 1024
# No white space or control characters: an id is matched against stored ones and sent back in our headers.
_MSGID = re.compile(r"<[^<>\s\x00-\x1f\x7f]+>")
_QUOTE_HEADER = re.compile(r"^(On .{3,200} wrote:|-{2,} ?Original Message ?-{2,}|From: .+)$", re.MULTILINE)
AUTO_SUBJECT = re.compile(r"^(auto(matic)? ?(reply|response)|out of (the )?office|undeliver|delivery status)",
                          re.IGNORECASE)
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
# Chinese mail clients label GBK text "gb2312", a subset that cannot decode characters such as 堃 or traditional
# ones; GB18030 is a superset of both (what browsers do, WHATWG Encoding). Big5-HKSCS likewise extends Big5.
SUPERSET_CHARSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
                     "euc-cn": "gb18030", "big5": "big5hkscs"}


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    from_email: str
    from_name: str
    to: list[str]
    subject: str
    message_id: str
    in_reply_to: str
    references: list[str]
    text: str
    html: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_reason: str = ""

    @property
    def is_auto(self) -> bool:
        return bool(self.auto_reason)


def _header(msg: Message, name: str) -> str:
    try:
        value = str(msg.get(name) or "")
    except Exception:  # a malformed header must not sink the whole mail
        value = _header_lenient(msg, name)
    if "\ufffd" in value:  # a charset that could not decode it: GBK labelled gb2312, or raw 8-bit GBK
        value = _header_lenient(msg, name)
    return without_nul(value).strip()


def _header_lenient(msg: Message, name: str) -> str:
    """The header's text without the strict parser, which refuses, for one, an address whose encoded display name
    holds a line break; the mail is the customer's all the same."""
    for key, raw in msg.raw_items():
        if key.lower() == name.lower():
            return decode_words(str(raw))
    return ""


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text in ``charset`` (or its superset); without one, UTF-8 or else GB18030 (raw 8-bit headers)."""
    label = (charset or "").lower()
    if not label or label in ("unknown-8bit", "us-ascii"):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            label = "gb18030"
    try:
        return data.decode(SUPERSET_CHARSETS.get(label, label), errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def decode_words(raw: str) -> str:
    """A header as sent: RFC 2047 encoded-words decoded in the charset they really use, 8-bit bytes (which the
    parser kept as surrogates) as UTF-8 or else GB18030."""
    try:
        chunks = decode_header(raw)
    except Exception:  # a malformed encoded-word
        return raw
    return "".join(
        decode_bytes(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data, charset)
        for data, charset in chunks
    )


def _filename(part: Message) -> str:
    name = part.get_filename() or ""
    if "\ufffd" not in name:
        return name
    # Read the parameter as sent (compat32 parsing leaves it undecoded), 8-bit bytes decoded first.
    legacy = Message()
    for key, raw in part.raw_items():
        if key.lower() in ("content-disposition", "content-type"):
            legacy[key] = decode_bytes(str(raw).encode("utf-8", "surrogateescape"), None)
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = legacy.get_param(param, header=header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, text as raw bytes)
            return decode_bytes(value[2].encode("raw-unicode-escape"), value[0])
        if value:
            return decode_words(str(value))
    return name


def _decode_part(part: Message) -> str:
    # A sender can put NUL anywhere (raw, or encoded as =00 or base64): drop it rather than the whole mail.
    return without_nul(_decode_payload(part))


def _decode_payload(part: Message) -> str:
    charset = part.get_content_charset() or "utf-8"
    if charset in SUPERSET_CHARSETS:
        payload = part.get_payload(decode=True)
        return decode_bytes(payload if isinstance(payload, bytes) else b"", charset)
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, KeyError, AssertionError):
        # Unknown or lying charset: decode the bytes as best we can rather than drop the message.
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        for candidate in (charset, "utf-8", "latin-1"):
            try:
                return data.decode(candidate)
            except (LookupError, UnicodeError):
                continue
        return data.decode("utf-8", errors="replace")


def strip_quoted(text: str) -> str:
    """The new part of a reply: drop the quoted history mail clients append below it."""
    match = _QUOTE_HEADER.search(text)
    if match and match.start() > 0:
        text = text[: match.start()]
    lines = [line for line in text.splitlines() if not line.startswith(">")]
    return "\n".join(lines).strip()


def _auto_reason(msg: Message, from_email: str, subject: str) -> str:
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    if _header(msg, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return "Precedence: " + _header(msg, "Precedence").lower()
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder"):
        if _header(msg, name):
            return name
    if _header(msg, "X-Auto-Response-Suppress").lower() in ("all", "oof", "dr, rn, nrn, oof, autoreply"):
        return "X-Auto-Response-Suppress"
    if msg.get_content_type() == "multipart/report":
        return "delivery report"
    if from_email.split("@")[0] in BOUNCE_SENDERS or _header(msg, "Return-Path") == "<>":
        return "bounce"
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "mailing list"
    if AUTO_SUBJECT.match(subject):
        return "auto-reply subject"
    return ""


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw MIME; a ValidationError on the ``raw`` field when it is not a usable email."""
    if not raw or not raw.strip():
        raise ValidationError({"raw": gettext("The request body must be a raw MIME message.")})
    if len(raw) > MAX_RAW_BYTES:
        raise ValidationError({"raw": gettext("The message is larger than %(limit)s bytes.")
                                      % {"limit": MAX_RAW_BYTES}})
    msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
    from_name, from_email = parseaddr(_header(msg, "From"))
    from_email = from_email.strip().lower()
    try:
        validate_email(from_email)
    except ValidationError:
        raise ValidationError({"raw": gettext("The message has no valid From address.")})
    subject = single_line(_header(msg, "Subject"))  # an encoded-word may hide a CR/LF
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    text = _decode_part(text_part) if text_part is not None else ""
    html = _decode_part(html_part) if html_part is not None else ""
    if not text.strip() and html:
        text = html_to_text(html)
    attachments: list[ParsedAttachment] = []
    for part in msg.iter_attachments() if msg.is_multipart() else []:
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and part.get_content_maintype() != "multipart":
            filename = without_nul(_filename(part)).strip() or f"attachment-{len(attachments) + 1}"
            attachments.append(ParsedAttachment(filename=filename, content_type=without_nul(part.get_content_type()),
                                                data=payload))
    if not text.strip() and not subject and not attachments:
        raise ValidationError({"raw": gettext("The message has neither a subject nor a body.")})
    return ParsedEmail(
        from_email=from_email, from_name=single_line(from_name),
        to=[addr.lower() for _, addr in getaddresses([_header(msg, "To"), _header(msg, "Cc")]) if addr],
        subject=subject, message_id=(_MSGID.findall(_header(msg, "Message-ID")) or [""])[0],
        in_reply_to=(_MSGID.findall(_header(msg, "In-Reply-To")) or [""])[0],
        references=_MSGID.findall(_header(msg, "References")),
        text=text.strip(), html=clean_html(html) if html else "", attachments=attachments,
        auto_reason=_auto_reason(msg, from_email, subject),
    )
