"""Test helpers shared by more than one test module (fixtures live in conftest.py)."""

from __future__ import annotations

import imaplib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeImapServer:
    """A stand-in for a tenant's mail server (an external system), reached the way tickets.mail.imap reaches it:
    ``imaplib.IMAP4_SSL(...)``. Every message stays unseen, as on a server whose flags have not stuck yet."""

    messages: dict[str, bytes]  # message number -> raw MIME
    user: str = "support"
    password: str = "pw"
    on_fetch: Callable[[str], None] = lambda number: None
    opened: list[dict[str, Any]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    stored: list[tuple[str, str, str]] = field(default_factory=list)

    def install(self, monkeypatch: Any) -> FakeImapServer:
        monkeypatch.setattr(imaplib, "IMAP4_SSL", self._connect)
        return self

    def _connect(self, host: str, port: int, ssl_context: Any = None, timeout: float | None = None) -> _Client:
        self.opened.append({"host": host, "port": port, "ssl_context": ssl_context, "timeout": timeout})
        return _Client(self)


class _Client:
    def __init__(self, server: FakeImapServer) -> None:
        self.server = server

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def login(self, user: str, password: str) -> tuple[str, list[bytes]]:
        self.server.logins.append((user, password))
        if (user, password) != (self.server.user, self.server.password):
            raise imaplib.IMAP4.error("[AUTHENTICATIONFAILED] Invalid credentials")
        return "OK", [b"Logged in"]

    def select(self, mailbox: str) -> tuple[str, list[bytes]]:
        self.server.selected.append(mailbox)
        return "OK", [str(len(self.server.messages)).encode()]

    def search(self, charset: str | None, criterion: str) -> tuple[str, list[bytes]]:
        assert criterion == "UNSEEN"
        return "OK", [" ".join(self.server.messages).encode()]

    def fetch(self, number: str, parts: str) -> tuple[str, list[Any]]:
        self.server.on_fetch(number)
        raw = self.server.messages[number]
        return "OK", [(b"%s (BODY[] {%d}" % (number.encode(), len(raw)), raw), b")"]

    def store(self, number: str, command: str, flags: str) -> tuple[str, list[bytes]]:
        self.server.stored.append((number, command, flags))
        return "OK", [b""]
