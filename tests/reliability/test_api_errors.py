"""The API answers JSON in its error envelope whatever fails (no URL matches, a bad Host, a body too large, a crash,
a body that never arrives); the rest of the site keeps its HTML pages."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from helpdesk.request_body import BodyReadTimeout
from tenants import services as tenant_services
from tenants.models import Membership
from tenants.rls import tenant_context
from tickets import selectors as ticket_selectors

API = "/t/acme/api/v1"


@pytest.fixture
def api(acme, alice) -> APIClient:
    with tenant_context(acme.id):
        membership = Membership.objects.get(tenant=acme, user=alice)
        key = tenant_services.api_key_create(tenant=acme, actor=membership, name="reliability").key
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _envelope(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "errors"} and isinstance(body["detail"], str) and body["detail"]
    return dict(body)


@pytest.mark.django_db
class TestNotFound:
    @pytest.mark.parametrize("path", ["/tickets/abc/", "/tickets/1.5/messages/", "/webhooks/-1/", "/no-such-thing/"])
    def test_an_id_that_is_not_a_number_or_an_unknown_path_is_json(self, api, path):
        _envelope(api.get(f"{API}{path}"), 404)

    def test_an_unknown_help_desk_is_json(self, api, acme):
        _envelope(api.get("/t/no-such-desk/api/v1/tickets/"), 404)

    def test_a_missing_ticket_keeps_its_message(self, api):
        assert _envelope(api.get(f"{API}/tickets/999999/"), 404)["detail"] == "No such ticket."

    def test_pages_outside_the_api_stay_html(self, client, acme, alice):
        client.force_login(alice)
        response = client.get("/t/acme/tickets/abc/")
        assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
class TestBadRequest:
    def test_a_body_over_the_limit_is_a_json_413(self, api, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        payload = {"subject": "x", "body": "y" * 2000, "requester_email": "a@b.test"}
        body = _envelope(api.post(f"{API}/tickets/", payload, format="json"), 413)
        assert "1000 bytes" in body["detail"]

    def test_a_form_body_over_the_limit_is_a_json_413_too(self, api, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        _envelope(api.post(f"{API}/teams/", {"name": "x" * 2000}), 413)

    def test_a_body_over_the_limit_outside_the_api_stays_djangos_400_page(self, client, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        client.raise_request_exception = False
        response = client.post("/accounts/login/", {"username": "x" * 2000, "password": "y"})
        assert response.status_code == 400 and response["Content-Type"].startswith("text/html")

    def test_a_host_that_is_not_served_is_a_json_400(self, api, acme):
        _envelope(api.get(f"{API}/me/", HTTP_HOST="evil.example"), 400)

    def test_invalid_input_keeps_its_field_errors(self, api):
        body = _envelope(api.post(f"{API}/tickets/", {"subject": "x"}, format="json"), 400)
        assert {"body", "requester_email"} <= set(body["errors"])

    def test_a_body_that_is_not_an_object_is_a_field_less_400(self, api):
        body = _envelope(api.post(f"{API}/tickets/", [1, 2], format="json"), 400)
        assert "non_field_errors" in body["errors"]


@pytest.mark.django_db
class TestOtherErrors:
    def test_no_credentials_is_the_envelope_with_no_field_errors(self, acme):
        body = _envelope(APIClient().get(f"{API}/tickets/"), 401)
        assert body["errors"] == {}

    def test_a_crash_is_a_json_500(self, api, monkeypatch):
        def crash(**kwargs: Any) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(ticket_selectors, "ticket_get", crash)
        body = _envelope(api.get(f"{API}/tickets/1/"), 500)
        assert "boom" not in body["detail"]

    def test_a_crash_outside_the_api_stays_html(self, client, acme, alice, monkeypatch):
        def crash(**kwargs: Any) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(ticket_selectors, "ticket_get", crash)
        client.raise_request_exception = False
        client.force_login(alice)
        response = client.get("/t/acme/tickets/1/")
        assert response.status_code == 500 and response["Content-Type"].startswith("text/html")


class TestBodyReadTimeout:
    """The ASGI wrapper alone, with an application that reads the body and then waits for the client to go away,
    as Django does while its view runs."""

    @staticmethod
    def _run(messages: list[dict[str, Any] | None], *, path: str = "/t/acme/api/v1/tickets/",
             view_seconds: float = 0.0) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            message = messages.pop(0) if messages else None
            if message is None:  # the client sends nothing more
                await asyncio.sleep(3600)
            return message  # type: ignore[return-value]

        async def send(message: dict[str, Any]) -> None:
            sent.append(dict(message))

        async def app(scope: Any, receive: Any, send: Any) -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                if not message.get("more_body"):
                    break
            # Django listens for a disconnect while the view runs; the view takes longer than the timeout.
            listener = asyncio.ensure_future(receive())
            await asyncio.sleep(view_seconds)
            listener.cancel()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        wrapped = BodyReadTimeout(app, timeout=0.2)
        asyncio.run(wrapped({"type": "http", "path": path}, receive, send))
        return sent

    def test_a_body_that_never_comes_is_a_json_408(self):
        sent = self._run([{"type": "http.request", "body": b"{", "more_body": True}, None])
        assert sent[0]["status"] == 408 and (b"connection", b"close") in sent[0]["headers"]
        assert json.loads(sent[1]["body"]) == {"detail": "The request body did not arrive in time.", "errors": {}}
        assert len(sent) == 2

    def test_outside_the_api_the_408_is_plain_text(self):
        sent = self._run([None], path="/accounts/login/")
        assert sent[0]["status"] == 408 and (b"content-type", b"text/plain; charset=utf-8") in sent[0]["headers"]

    def test_a_slow_view_after_the_body_is_not_cut(self):
        sent = self._run([{"type": "http.request", "body": b"{}", "more_body": False}, None], view_seconds=0.5)
        assert [m.get("status") for m in sent] == [200, None] and sent[1]["body"] == b"ok"


@pytest.mark.django_db(transaction=True)
class TestBodyReadTimeoutOnUvicorn:
    """A raw socket against the real server: declare a body, send none (or some), and see what comes back."""

    @pytest.fixture
    def server(self, start_asgi_server) -> tuple[str, int]:
        url = urlsplit(start_asgi_server(REQUEST_BODY_TIMEOUT_S="1"))
        return str(url.hostname), int(url.port or 80)

    @staticmethod
    def _exchange(server: tuple[str, int], head: bytes, pieces: list[bytes], pause: float = 0.0) -> tuple[bytes, float]:
        """Send the head and the body's pieces, then read until the server closes the connection."""
        started = time.monotonic()
        with socket.create_connection(server, timeout=15) as sock:
            sock.sendall(head)
            for piece in pieces:
                time.sleep(pause)
                sock.sendall(piece)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        return answer, time.monotonic() - started

    def test_a_declared_body_that_never_comes_is_a_json_408_and_the_connection_closes(self, server):
        head = (b"POST /t/acme/api/v1/tickets/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n")
        answer, seconds = self._exchange(server, head, [])
        status, _, body = answer.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 408") and b"content-type: application/json" in status.lower()
        assert json.loads(body) == {"detail": "The request body did not arrive in time.", "errors": {}}
        assert 0.9 < seconds < 10

    def test_a_body_that_keeps_coming_is_read_whole(self, server):
        body = json.dumps({"subject": "x"}).encode()
        head = (b"POST /t/acme/api/v1/tickets/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        # Three pieces 0.6 s apart: the body takes longer than the timeout in all, but never waits that long.
        answer, _ = self._exchange(server, head, [body[:4], body[4:8], body[8:]], pause=0.6)
        # No help desk "acme" in this test's database: the request got through to routing, and its 404 is JSON.
        assert answer.startswith(b"HTTP/1.1 404"), answer[:200]
