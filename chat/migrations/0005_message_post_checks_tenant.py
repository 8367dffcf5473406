"""chat_message_post() refuses a tenant other than the caller's.

The function sets ``app.tenant_id`` itself (the hot path calls it outside a transaction, with no tenant set). A
caller already inside a tenant's transaction (tenants.rls.tenant_context) that passed another tenant's id would
have switched row-level security to that tenant for the rest of its transaction; now the call fails instead.
"""

import importlib

from django.db import migrations

previous = importlib.import_module("chat.migrations.0004_message_post_function")

CHECK = """BEGIN
    IF coalesce(current_setting('app.tenant_id', true), '') NOT IN ('', p_tenant::text) THEN
        RAISE EXCEPTION 'chat_message_post: tenant % is not the caller''s tenant', p_tenant
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('app.tenant_id', p_tenant::text, true);"""

FUNCTION = previous.FUNCTION.replace("BEGIN\n    PERFORM set_config('app.tenant_id', p_tenant::text, true);", CHECK, 1)
assert FUNCTION != previous.FUNCTION


class Migration(migrations.Migration):
    dependencies = [("chat", "0004_message_post_function")]

    operations = [migrations.RunSQL(FUNCTION, previous.FUNCTION)]
