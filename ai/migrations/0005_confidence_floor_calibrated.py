"""The confidence floor becomes the chance of a right reply (ai.decision), empty for the calibrated threshold.

The old default (0.62, a cosine similarity) means nothing on the new scale, so rows still holding it are cleared.
Row-level security is forced on the table, so each tenant is set in turn, as kb's 0002 migration does.
"""

from typing import Any

from django.db import migrations, models


def clear_old_default(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.connection.alias
    Tenant = apps.get_model("tenants", "Tenant")
    AISettings = apps.get_model("ai", "AISettings")
    with schema_editor.connection.cursor() as cursor:
        for tenant_id in Tenant.objects.using(db).values_list("id", flat=True):
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            AISettings.objects.using(db).filter(tenant_id=tenant_id, confidence_floor=0.62).update(
                confidence_floor=None)
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [("ai", "0004_trace_language"), ("tenants", "0001_initial")]

    operations = [
        migrations.AlterField("aisettings", "confidence_floor",
                              models.FloatField(null=True, blank=True, default=None)),
        migrations.RunPython(clear_old_default, migrations.RunPython.noop),
    ]
