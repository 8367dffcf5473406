"""Browser tests read the mail the server and worker processes send."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

# The worker and web processes are started once per session from this environment, so this is set while the
# tests are collected, before any of them starts: outgoing mail is written to files the tests can read.
MAIL_DIR = Path(os.environ.setdefault("EMAIL_FILE_PATH", tempfile.mkdtemp(prefix="helpdesk-mail-")))
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")


def sent_mail(containing: bytes, timeout: float = 30) -> bytes:
    """The first mail the server processes wrote that contains ``containing`` (waits for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(MAIL_DIR.glob("*.log")):
            data = path.read_bytes()
            for chunk in data.split(b"\n" + b"-" * 79 + b"\n"):
                if containing in chunk:
                    return chunk.strip() + b"\n"
        time.sleep(0.3)
    raise AssertionError(f"no mail containing {containing!r} in {MAIL_DIR}")
