"""Stored classifiers are signed (ai.backends.classifier.sign): unpickling runs code, so from now on only a blob
this installation signed is loaded. The blobs stored so far were written by this installation's training, so they
are signed here, tenant by tenant (tenants.migration_tools).
"""

from typing import Any

from django.db import migrations

from tenants.migration_tools import each_tenant


def sign_blobs(apps: Any, schema_editor: Any) -> None:
    from ai.backends.classifier import SIGNED, sign

    db = schema_editor.connection.alias
    ClassifierVersion = apps.get_model("ai", "ClassifierVersion")
    for tenant_id in each_tenant(apps, schema_editor):
        versions = ClassifierVersion.objects.using(db).filter(tenant_id=tenant_id)
        for version_id, blob in list(versions.values_list("id", "blob")):
            if not bytes(blob).startswith(SIGNED):
                versions.filter(id=version_id).update(blob=sign(bytes(blob)))


class Migration(migrations.Migration):
    dependencies = [("ai", "0007_settings_tenant_api_key"), ("tenants", "0001_initial")]

    operations = [migrations.RunPython(sign_blobs, migrations.RunPython.noop)]
