"""Celery adapters of the chat app: the hourly purge of files that were uploaded but never sent.

The per-tenant task takes ``tenant_id`` first (TenantTask runs it in that tenant's context); both are acks_late and
safe to run twice (a second purge finds nothing left to delete).
"""

from __future__ import annotations

from celery import shared_task

from chat.services.attachments import unsent_attachments_purge as purge
from helpdesk.celery import TenantTask
from tenants.models import Tenant
from tenants.selectors import tenant_get


@shared_task(base=TenantTask, acks_late=True)
def unsent_attachments_purge(tenant_id: int) -> int:
    return purge(tenant=tenant_get(tenant_id=tenant_id))


@shared_task(acks_late=True)
def unsent_attachments_purge_all() -> int:
    """Beat entry point: one purge per tenant. Inactive tenants too: their unsent uploads are as dead as anyone's."""
    tenant_ids = list(Tenant.objects.values_list("id", flat=True))
    for tenant_id in tenant_ids:
        unsent_attachments_purge.delay(tenant_id)
    return len(tenant_ids)
