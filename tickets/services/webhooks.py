"""Outgoing webhooks: tenants subscribe URLs to ticket events; deliveries are signed, logged and retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from functools import partial
from typing import Any
from urllib.parse import urlparse

import httpx
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenants.models import Tenant
from tickets.models import WEBHOOK_EVENTS, DeliveryStatus, Webhook, WebhookDelivery

MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 10.0


def _validate(url: str, events: list[str]) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError({"url": "Enter an http(s) URL."})
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown or not events:
        raise ValidationError({"events": f"Choose events from {', '.join(WEBHOOK_EVENTS)}."})


@transaction.atomic
def webhook_create(*, tenant: Tenant, url: str, events: list[str]) -> Webhook:
    _validate(url, events)
    return Webhook.objects.create(tenant=tenant, url=url, events=sorted(set(events)), secret=secrets.token_hex(32))


@transaction.atomic
def webhook_delete(*, tenant: Tenant, webhook: Webhook) -> None:
    Webhook.objects.for_tenant(tenant).filter(id=webhook.id).delete()


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


@transaction.atomic
def webhook_deliver(*, tenant: Tenant, delivery_id: int) -> WebhookDelivery | None:
    """One attempt. Returns the delivery (status tells the caller whether to retry); None if already done."""
    delivery = (WebhookDelivery.objects.for_tenant(tenant).select_for_update().select_related("webhook")
                .filter(id=delivery_id).first())
    if delivery is None or delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        return None
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhooks/1",
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": str(delivery.id),
        "X-Helpdesk-Timestamp": timestamp,
        "X-Helpdesk-Signature": "sha256=" + sign(secret=delivery.webhook.secret, timestamp=timestamp, body=body),
    }
    delivery.attempts += 1
    try:
        response = httpx.post(delivery.webhook.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
        delivery.last_status_code = response.status_code
        delivery.last_error = "" if response.is_success else response.text[:500]
        ok = response.is_success
    except httpx.HTTPError as exc:
        delivery.last_error, ok = f"{type(exc).__name__}: {exc}"[:500], False
    if ok:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
    else:
        delivery.status = DeliveryStatus.FAILED if delivery.attempts >= MAX_ATTEMPTS else DeliveryStatus.RETRYING
    delivery.save()
    return delivery
