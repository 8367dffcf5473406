"""Rebuild the full-text vectors of existing chunks with Chinese text segmented into words (kb.segmentation).

Chunks indexed before held one lexeme per Chinese sentence, which no question matches. Like every migration this
runs as the owner of the tables. They force row-level security, so it sets each tenant in turn for its
transaction, as tenants.rls.tenant_context does (an owner that is not a superuser would see no rows otherwise).
"""

from typing import Any

from django.db import migrations


def rebuild_search_vectors(apps: Any, schema_editor: Any) -> None:
    from kb.indexing import search_vector_expression

    db = schema_editor.connection.alias
    Tenant = apps.get_model("tenants", "Tenant")
    Chunk = apps.get_model("kb", "Chunk")
    with schema_editor.connection.cursor() as cursor:
        for tenant_id in Tenant.objects.using(db).values_list("id", flat=True):
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            chunks = Chunk.objects.using(db).filter(tenant_id=tenant_id)
            for chunk_id, heading, text in list(chunks.values_list("id", "heading", "text")):
                chunks.filter(id=chunk_id).update(search_vector=search_vector_expression(heading=heading, text=text))
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial"), ("tenants", "0001_initial")]

    operations = [migrations.RunPython(rebuild_search_vectors, migrations.RunPython.noop)]
