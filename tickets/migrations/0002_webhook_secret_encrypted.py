"""Webhook signing secrets are stored Fernet-encrypted (helpdesk/crypto.py) instead of in clear.

Tenant by tenant, as row-level security requires (tenants.migration_tools).
"""

from typing import Any

from django.db import migrations, models

from tenants.migration_tools import each_tenant


def encrypt_secrets(apps: Any, schema_editor: Any) -> None:
    from helpdesk.crypto import secret_encrypt

    db = schema_editor.connection.alias
    Webhook = apps.get_model("tickets", "Webhook")
    for tenant_id in each_tenant(apps, schema_editor):
        hooks = Webhook.objects.using(db).filter(tenant_id=tenant_id)
        for hook_id, secret in list(hooks.values_list("id", "secret")):
            if len(secret) == 64:  # a clear hex secret; tokens are longer
                hooks.filter(id=hook_id).update(secret=secret_encrypt(secret))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("tenants", "0001_initial")]

    operations = [
        migrations.AlterField(model_name="webhook", name="secret", field=models.TextField()),
        migrations.RunPython(encrypt_secrets, migrations.RunPython.noop),
    ]
