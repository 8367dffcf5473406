"""Rebuild the full-text vectors of existing chunks with Chinese text segmented into words (kb.segmentation).

Chunks indexed before held one lexeme per Chinese sentence, which no question matches. Like every migration this
runs as the owner of the tables. They force row-level security, so it sets each tenant in turn for its
transaction, as tenants.rls.tenant_context does (an owner that is not a superuser would see no rows otherwise).
"""

from typing import Any

from django.db import migrations

from tenants.migration_tools import each_tenant


def rebuild_search_vectors(apps: Any, schema_editor: Any) -> None:
    from kb.indexing import search_vector_expression

    db = schema_editor.connection.alias
    Chunk = apps.get_model("kb", "Chunk")
    for tenant_id in each_tenant(apps, schema_editor):
        chunks = Chunk.objects.using(db).filter(tenant_id=tenant_id)
        for chunk_id, heading, text in list(chunks.values_list("id", "heading", "text")):
            chunks.filter(id=chunk_id).update(search_vector=search_vector_expression(heading=heading, text=text))


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial"), ("tenants", "0001_initial")]

    operations = [migrations.RunPython(rebuild_search_vectors, migrations.RunPython.noop)]
