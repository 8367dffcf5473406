"""Webhook signing secrets are stored Fernet-encrypted (helpdesk/crypto.py) instead of in clear.

Runs as the owner of the tables, which force row-level security: each tenant is set in turn for the transaction,
as tenants.rls.tenant_context does.
"""

from typing import Any

from django.db import migrations, models


def encrypt_secrets(apps: Any, schema_editor: Any) -> None:
    from helpdesk.crypto import secret_encrypt

    db = schema_editor.connection.alias
    Tenant = apps.get_model("tenants", "Tenant")
    Webhook = apps.get_model("tickets", "Webhook")
    with schema_editor.connection.cursor() as cursor:
        for tenant_id in Tenant.objects.using(db).values_list("id", flat=True):
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            for hook_id, secret in list(Webhook.objects.using(db).filter(tenant_id=tenant_id)
                                        .values_list("id", "secret")):
                if len(secret) == 64:  # a clear hex secret; tokens are longer
                    Webhook.objects.using(db).filter(id=hook_id).update(secret=secret_encrypt(secret))
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("tenants", "0001_initial")]

    operations = [
        migrations.AlterField(model_name="webhook", name="secret", field=models.TextField()),
        migrations.RunPython(encrypt_secrets, migrations.RunPython.noop),
    ]
