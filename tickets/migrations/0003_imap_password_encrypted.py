"""IMAP mailbox passwords are stored Fernet-encrypted (helpdesk/crypto.py) instead of in clear.

Before, ``tenant.settings["imap_password"]`` held the password as typed into the admin's raw JSON. Now the mailbox
is set on the email settings page (tickets.services.mailbox_configure), which stores ``imap_password_encrypted``
and ``imap_password_hint``. Tenant is the reference table, without row-level security, so no tenant loop.
"""

from typing import Any

from django.db import migrations


def encrypt_imap_passwords(apps: Any, schema_editor: Any) -> None:
    from helpdesk.crypto import secret_encrypt, secret_hint

    db = schema_editor.connection.alias
    Tenant = apps.get_model("tenants", "Tenant")
    for tenant in Tenant.objects.using(db).filter(settings__has_key="imap_password"):
        settings = dict(tenant.settings)
        password = str(settings.pop("imap_password") or "")
        if password:
            settings.update(imap_password_encrypted=secret_encrypt(password), imap_password_hint=secret_hint(password))
        Tenant.objects.using(db).filter(id=tenant.id).update(settings=settings)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_webhook_secret_encrypted"), ("tenants", "0001_initial")]

    # Not reversible into clear text on purpose: going back leaves the encrypted keys, which the old code ignores.
    operations = [migrations.RunPython(encrypt_imap_passwords, migrations.RunPython.noop)]
