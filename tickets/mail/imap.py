"""Optional IMAP polling: unseen mail in the tenant's mailbox goes through the same ingest as the webhook.

Configured per tenant in ``tenant.settings``: imap_host, imap_port (993), imap_user, imap_password,
imap_folder (INBOX). Messages are marked \\Seen only after ingest committed; a crash re-reads them and the
Message-ID deduplicates. The server's certificate and host name are verified (Python's imaplib does neither by
default), the host must be a public address (helpdesk/outbound.py), and a silent server times out instead of
holding the worker.
"""

from __future__ import annotations

import imaplib
import logging
import ssl

from django.core.exceptions import ValidationError

from helpdesk.outbound import destination_check
from tenants.models import Tenant

logger = logging.getLogger(__name__)
MAX_PER_POLL = 50
TIMEOUT_SECONDS = 30


def poll_mailbox(*, tenant: Tenant) -> int:
    from tickets.services.email import ingest_email

    config = tenant.settings
    host = str(config.get("imap_host") or "")
    if not host:
        return 0
    port = int(config.get("imap_port") or 993)
    destination_check(f"https://{host}:{port}/")
    count = 0
    with imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS) as client:
        client.login(str(config.get("imap_user") or ""), str(config.get("imap_password") or ""))
        client.select(str(config.get("imap_folder") or "INBOX"))
        _, data = client.search(None, "UNSEEN")
        for raw_number in (data[0] or b"").split()[:MAX_PER_POLL]:
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
