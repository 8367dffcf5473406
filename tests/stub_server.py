"""A real HTTP server on loopback standing in for a system outside the help desk (a model endpoint, a webhook
receiver, an internal service): it answers every request with ``reply`` and records what it received."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def chat_completion(text: str) -> Reply:
    """What an OpenAI-compatible server answers to /chat/completions."""
    body = json.dumps({"choices": [{"message": {"content": text}}]}).encode()
    return Reply(body=body, headers={"Content-Type": "application/json"})


class StubServer:
    def __init__(self, reply: Reply) -> None:
        self.reply, self.received = reply, []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.received.append(Received(self.path, dict(self.headers), body))
                self.send_response(stub.reply.status)
                for name, value in {**stub.reply.headers, "Content-Length": str(len(stub.reply.body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(stub.reply.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"


@contextmanager
def stub_server(reply: Reply | None = None) -> Iterator[StubServer]:
    stub = StubServer(reply or Reply())
    threading.Thread(target=stub.server.serve_forever, daemon=True).start()
    try:
        yield stub
    finally:
        stub.server.shutdown()
