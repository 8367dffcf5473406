"""The REST API keeps its OpenAPI schema: Schemathesis generates requests from the schema the server publishes (valid
and invalid, each operation alone and chains of them through the links it infers, e.g. create a ticket, then read,
change and merge it) and sends them to the real ASGI server with an admin's API key. No answer may be a 5xx, use a
status code or content type the schema does not declare, or have a body its schema does not describe.

Bounded (examples per operation, a fixed seed) to take about two minutes on two cores. To explore further, run the
same command by hand with more examples and another seed; ``--report junit,har`` keeps what it sent and found.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk.celery import app as celery_app
from tenants import services as tenant_services
from tenants.models import Membership
from tenants.rls import tenant_context
from tests.factories import WebhookDeliveryFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
MAX_EXAMPLES = 12
SEED = 20250105
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")


@pytest.fixture
def admin_key(acme, alice) -> str:
    with tenant_context(acme.id):
        membership = Membership.objects.get(tenant=acme, user=alice)
        return tenant_services.api_key_create(tenant=acme, actor=membership, name="schemathesis").key


@pytest.fixture
def webhook_id(acme) -> int:
    """A webhook with a delivery: the run cannot create one (a webhook's host must resolve, and nothing resolves
    here), and without it the webhook pages would only ever answer 404."""
    return int(WebhookDeliveryFactory(tenant=acme).webhook_id)


@pytest.fixture
def no_tasks_left_behind():
    """The run creates tickets, messages and webhooks whose tasks (triage, answers, deliveries) wait in the queues
    with no worker to take them; a later test's worker must not find them."""
    yield
    with celery_app.connection_for_write() as connection:
        for queue in ("default", "ai"):
            connection.default_channel.queue_purge(queue)


@pytest.mark.timeout(600)
def test_the_api_answers_as_its_schema_says(asgi_server, admin_key, webhook_id, no_tasks_left_behind, tmp_path):
    config = tmp_path / "schemathesis.toml"
    # Every path is under /t/{tenant_slug}/: the run stays in acme's help desk, where its key is valid.
    config.write_text(f'hooks = "{HOOKS}"\n\n[parameters]\n"path.tenant_slug" = "acme"\n'
                      f'"path.webhook_id" = {webhook_id}\n')
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", f"{asgi_server}/t/acme/api/schema/?format=json", "--header", f"Authorization: Bearer {admin_key}",
        "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "1",
        "--phases", "examples,coverage,fuzzing,stateful", "--request-timeout", "30", "--generation-database", "none",
    ]
    # Its working folder is the test's own: Schemathesis may keep files of its own there.
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=540)
    assert result.returncode == 0, result.stdout[-30_000:] + result.stderr[-5_000:]
