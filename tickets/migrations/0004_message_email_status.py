"""A reply's mail has a state the agent sees: sending, sent, or not sent with the reason (and a retry button).

Replies already emailed become "sent", tenant by tenant (tenants.migration_tools). Other rows stay "" (not
tracked): from the rows alone, a reply whose mail was lost cannot be told from a chat transcript line that was never
meant to be emailed.
"""

from typing import Any

from django.db import migrations, models

from tenants.migration_tools import each_tenant


def mark_sent(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.connection.alias
    Message = apps.get_model("tickets", "Message")
    for tenant_id in each_tenant(apps, schema_editor):
        Message.objects.using(db).filter(tenant_id=tenant_id, email_sent_at__isnull=False).update(email_status="sent")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_imap_password_encrypted"), ("tenants", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="message",
            name="email_error",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="message",
            name="email_status",
            field=models.CharField(
                blank=True,
                choices=[("", "Not emailed"), ("pending", "Sending"), ("sent", "Sent"), ("failed", "Not sent")],
                default="",
                max_length=10,
            ),
        ),
        migrations.RunPython(mark_sent, migrations.RunPython.noop),
    ]
