"""Rebuild the search vectors of tickets with Chinese text, indexed from now on as character pairs (tickets.search).

Before, a whole Chinese sentence was one lexeme that no query matched. Only tickets whose subject or public
replies hold Han characters change; the vectors of the others would come out the same. Tenant by tenant, as
row-level security requires (tenants.migration_tools).
"""

from typing import Any

from django.db import migrations

from tenants.migration_tools import each_tenant

HAN = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"


def rebuild_search_vectors(apps: Any, schema_editor: Any) -> None:
    from tickets.search import ticket_vector

    db = schema_editor.connection.alias
    Ticket = apps.get_model("tickets", "Ticket")
    Message = apps.get_model("tickets", "Message")
    for tenant_id in each_tenant(apps, schema_editor):
        tickets = Ticket.objects.using(db).filter(tenant_id=tenant_id)
        replies = Message.objects.using(db).filter(tenant_id=tenant_id, kind="reply")
        ids = set(tickets.filter(subject__regex=HAN).values_list("id", flat=True))
        ids |= set(replies.filter(body__regex=HAN).values_list("ticket_id", flat=True))
        for ticket_id in sorted(ids):
            subject = tickets.filter(id=ticket_id).values_list("subject", flat=True).get()
            bodies = replies.filter(ticket_id=ticket_id).order_by("id").values_list("body", flat=True)
            vector = ticket_vector(subject, weight="A")
            for body in bodies:  # appended one reply at a time, as tickets.services.messages does
                vector = vector + ticket_vector(body[:20_000])
            tickets.filter(id=ticket_id).update(search_vector=vector)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_message_email_status"), ("tenants", "0001_initial")]

    operations = [migrations.RunPython(rebuild_search_vectors, migrations.RunPython.noop)]
