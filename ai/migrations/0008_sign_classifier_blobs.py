"""Stored classifiers are signed (ai.backends.classifier.sign): unpickling runs code, so from now on only a blob
this installation signed is loaded. The blobs stored so far were written by this installation's training, so they
are signed here. Runs as the owner of the tables, setting each tenant in turn (row-level security is forced).
"""

from typing import Any

from django.db import migrations


def sign_blobs(apps: Any, schema_editor: Any) -> None:
    from ai.backends.classifier import SIGNED, sign

    db = schema_editor.connection.alias
    Tenant = apps.get_model("tenants", "Tenant")
    ClassifierVersion = apps.get_model("ai", "ClassifierVersion")
    with schema_editor.connection.cursor() as cursor:
        for tenant_id in Tenant.objects.using(db).values_list("id", flat=True):
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            versions = ClassifierVersion.objects.using(db).filter(tenant_id=tenant_id)
            for version_id, blob in list(versions.values_list("id", "blob")):
                if not bytes(blob).startswith(SIGNED):
                    versions.filter(id=version_id).update(blob=sign(bytes(blob)))
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [("ai", "0007_settings_tenant_api_key"), ("tenants", "0001_initial")]

    operations = [migrations.RunPython(sign_blobs, migrations.RunPython.noop)]
