"""Outgoing webhooks: tenants subscribe URLs to ticket events; deliveries are signed, logged and retried.

A webhook URL is a destination a tenant chose, so it must be public (helpdesk/outbound.py), on creation and again
before every delivery; redirects are not followed and response bodies are neither read nor stored (otherwise the
delivery log would be a scanner of the internal network that shows what answered). The HTTP call runs outside any
transaction, so a slow receiver holds no row lock, and within a deadline, so it cannot hold the worker either."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlparse

import httpx
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.crypto import secret_decrypt, secret_encrypt
from helpdesk.outbound import UnsafeDestination, destination_check
from tenants.models import Tenant, User
from tenants.rls import tenant_context
from tenants.services import audit_record
from tickets.models import WEBHOOK_EVENTS, DeliveryStatus, Webhook, WebhookDelivery

MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 10.0  # each connect, write and read
DEADLINE_SECONDS = 30.0  # the whole delivery
_POSTER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook")


def _validate(url: str, events: list[str]) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError({"url": _("Enter an http(s) URL.")})
    try:
        destination_check(url)
    except UnsafeDestination as exc:
        raise ValidationError({"url": _("This address cannot receive webhooks: %(reason)s.")
                               % {"reason": exc}}) from exc
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown or not events:
        raise ValidationError({"events": _("Choose events from %(events)s.") % {"events": ", ".join(WEBHOOK_EVENTS)}})


@dataclass(frozen=True)
class CreatedWebhook:
    webhook: Webhook
    secret: str  # the signing secret in clear: returned this once, stored encrypted


@transaction.atomic
def webhook_create(*, tenant: Tenant, actor: User | None, via: str = "", url: str, events: list[str]
                   ) -> CreatedWebhook:
    """``via``: the API key that asked, when no user did (for the audit log)."""
    _validate(url, events)
    secret = secrets.token_hex(32)
    webhook = Webhook.objects.create(tenant=tenant, url=url, events=sorted(set(events)), secret=secret_encrypt(secret))
    audit_record(tenant=tenant, actor=actor, action="webhook.created", target=url,
                 data={"webhook": webhook.id, "events": webhook.events, **({"via": via} if via else {})})
    return CreatedWebhook(webhook=webhook, secret=secret)


@transaction.atomic
def webhook_delete(*, tenant: Tenant, actor: User | None, via: str = "", webhook: Webhook) -> None:
    Webhook.objects.for_tenant(tenant).filter(id=webhook.id).delete()
    audit_record(tenant=tenant, actor=actor, action="webhook.deleted", target=webhook.url,
                 data={"webhook": webhook.id, **({"via": via} if via else {})})


def webhook_deliveries_create(*, tenant: Tenant, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """One logged delivery per subscribed webhook, sent by a task after commit."""
    from tickets import tasks

    hooks = [h for h in Webhook.objects.for_tenant(tenant).filter(is_active=True) if event in h.events]
    if not hooks:
        return []
    body = {"event": event, "tenant": tenant.slug, "occurred_at": timezone.now().isoformat(), "data": payload}
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(tenant=tenant, webhook=h, event=event, payload=body) for h in hooks]
    )
    for delivery in deliveries:
        transaction.on_commit(partial(tasks.webhook_deliver.delay, tenant.id, delivery.id))
    return deliveries


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": receivers can reject replays by the timestamp."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def webhook_deliver(*, tenant: Tenant, delivery_id: int) -> WebhookDelivery | None:
    """One attempt. Returns the delivery (status tells the caller whether to retry); None if already done.

    Three steps, the HTTP call outside any transaction: the claim and the record commit on their own, so a slow
    receiver holds neither a row lock nor a database connection's transaction (the task runs this without
    TenantTask's one transaction)."""
    with tenant_context(tenant.id):
        # Claim the attempt: a second worker running the same delivery waits here, then sees the count.
        delivery = (WebhookDelivery.objects.for_tenant(tenant).select_for_update().select_related("webhook")
                    .filter(id=delivery_id).first())
        if delivery is None or delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
            return None
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    status_code, error = _post(delivery)
    delivery.last_status_code, delivery.last_error = status_code, error
    if not error:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
    else:
        delivery.status = DeliveryStatus.FAILED if delivery.attempts >= MAX_ATTEMPTS else DeliveryStatus.RETRYING
    with tenant_context(tenant.id):
        delivery.save(update_fields=["last_status_code", "last_error", "status", "delivered_at"])
    return delivery


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """(status code, error): the error says what went wrong in our words, never what the receiver answered."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhooks/1",
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": str(delivery.id),
        "X-Helpdesk-Timestamp": timestamp,
        "X-Helpdesk-Signature": "sha256=" + sign(secret=secret_decrypt(delivery.webhook.secret), timestamp=timestamp,
                                                 body=body),
    }
    try:
        destination_check(delivery.webhook.url)  # again: the name may resolve elsewhere since it was saved
    except UnsafeDestination as exc:
        return None, f"refused: {exc}"
    client = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)

    def post() -> int:
        with client.stream("POST", delivery.webhook.url, content=body, headers=headers) as response:
            return response.status_code  # the status line is all we need; the body is never read

    # httpx's timeouts bound each read, not the whole exchange: a receiver that sends its answer a byte at a time
    # would hold the worker for as long as it likes. The call runs in a thread the deadline abandons, closing the
    # client under it so that its socket is released.
    future = _POSTER.submit(post)
    try:
        status_code = future.result(timeout=DEADLINE_SECONDS)
    except FutureTimeout:
        client.close()
        return None, "timed out"
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    finally:
        if future.done():
            client.close()
    return status_code, "" if 200 <= status_code < 300 else f"HTTP {status_code}"
