"""Optional IMAP polling: unseen mail in the tenant's mailbox goes through the same ingest as the webhook.

An admin sets the mailbox on the email settings page (``tickets.services.mailbox_configure``); it is kept in
``tenant.settings`` (``tickets.selectors.mailbox_get`` reads it) with the password Fernet-encrypted. Messages are
marked \\Seen only after ingest committed; a crash re-reads them and the Message-ID deduplicates. The server's
certificate and host name are verified (Python's imaplib does neither by default), the host must be a public
address (helpdesk/outbound.py), a silent server times out, and a server that answers slowly but never stops (a byte
every few seconds) meets the poll's deadline instead of holding the worker.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
import time

from django.core.exceptions import ValidationError

from helpdesk.crypto import secret_decrypt
from helpdesk.outbound import destination_check
from tenants.models import Tenant
from tickets.selectors import mailbox_get

logger = logging.getLogger(__name__)
MAX_PER_POLL = 50
TIMEOUT_SECONDS = 30  # one read or write on the socket
# The whole poll, under the beat interval (IMAP_POLL_SECONDS, 120 by default) so polls do not pile up. Checked
# between messages; the task's time limit (tickets.tasks.imap_poll) ends a single message that drips past it.
POLL_DEADLINE_SECONDS = 60
# The task's hard limit: the deadline, one message in flight, and the logout.
POLL_TIME_LIMIT_SECONDS = POLL_DEADLINE_SECONDS + 2 * TIMEOUT_SECONDS


def mailbox_destination_check(host: str, port: int) -> None:
    """Raise ``UnsafeDestination`` unless the IMAP server is public: when it is saved, and again before each poll,
    since what its name resolves to can change in between."""
    literal = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
    destination_check(f"https://{literal}:{port}/")


def _quoted(value: str) -> str:
    """An IMAP quoted string: imaplib sends a mailbox name as it is, so "Support tickets" would be two arguments."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_mailbox(*, tenant: Tenant) -> int:
    from tickets.services.email import ingest_email

    mailbox = mailbox_get(tenant=tenant)
    if mailbox is None:
        return 0
    mailbox_destination_check(mailbox.host, mailbox.port)
    deadline = time.monotonic() + POLL_DEADLINE_SECONDS
    count = 0
    with imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(),
                           timeout=TIMEOUT_SECONDS) as client:
        client.login(mailbox.user, secret_decrypt(mailbox.password_encrypted))
        client.select(_quoted(mailbox.folder))
        _, data = client.search(None, "UNSEEN")
        numbers = (data[0] or b"").split()[:MAX_PER_POLL]
        for raw_number in numbers:
            if time.monotonic() >= deadline:
                # The rest stay unseen, so the next poll picks them up.
                logger.warning("tenant %s: mailbox poll stopped at its %s s deadline after %s of %s messages",
                               tenant.slug, POLL_DEADLINE_SECONDS, count, len(numbers))
                break
            number = raw_number.decode()
            _, parts = client.fetch(number, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            try:
                ingest_email(tenant=tenant, raw=bytes(raw))
            except ValidationError as exc:
                logger.warning("tenant %s: skipped unusable mail %s: %s", tenant.slug, number, exc.messages)
            client.store(number, "+FLAGS", "\\Seen")
            count += 1
    return count
