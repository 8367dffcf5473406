"""The confidence floor becomes the chance of a right reply (ai.decision), empty for the calibrated threshold.

The old default (0.62, a cosine similarity) means nothing on the new scale, so rows still holding it are cleared.
Row-level security is forced on the table, so each tenant is set in turn (tenants.migration_tools).
"""

from typing import Any

from django.db import migrations, models

from tenants.migration_tools import each_tenant


def clear_old_default(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.connection.alias
    AISettings = apps.get_model("ai", "AISettings")
    for tenant_id in each_tenant(apps, schema_editor):
        AISettings.objects.using(db).filter(tenant_id=tenant_id, confidence_floor=0.62).update(confidence_floor=None)


class Migration(migrations.Migration):
    dependencies = [("ai", "0004_trace_language"), ("tenants", "0001_initial")]

    operations = [
        migrations.AlterField("aisettings", "confidence_floor",
                              models.FloatField(null=True, blank=True, default=None)),
        migrations.RunPython(clear_old_default, migrations.RunPython.noop),
    ]
