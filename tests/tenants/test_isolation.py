"""A query running as tenant A never returns tenant B's rows: through the ORM, raw SQL, HTTP, API keys,
WebSockets and Celery tasks."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.db import connection

from helpdesk.asgi import application
from helpdesk.celery import TenantTask, app
from tenants import services
from tenants.models import Membership, Role, TenantOwned
from tenants.rls import tenant_context
from tests.factories import TENANT_FACTORIES, MembershipFactory

pytestmark = pytest.mark.django_db


def _tenant_models():
    return sorted(
        (m for m in apps.get_models() if issubclass(m, TenantOwned)), key=lambda m: m._meta.label
    )


def test_every_tenant_model_has_a_factory_for_the_isolation_tests():
    assert {m._meta.label for m in _tenant_models()} <= set(TENANT_FACTORIES)


@pytest.mark.parametrize("label", sorted(TENANT_FACTORIES))
def test_tenant_a_never_reads_tenant_b_rows(label, acme, globex):
    model = apps.get_model(label)
    factory = TENANT_FACTORIES[label]
    factory(tenant=acme)
    theirs = factory(tenant=globex)
    table = model._meta.db_table
    with tenant_context(acme.id):
        # Unfiltered ORM and raw SQL through the application's connection: only acme's rows come back.
        assert set(model.objects.values_list("tenant_id", flat=True)) == {acme.id}
        assert not model.objects.filter(pk=theirs.pk).exists()
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s', [globex.id])
            assert cursor.fetchone()[0] == 0
            cursor.execute(f'UPDATE "{table}" SET tenant_id = tenant_id WHERE tenant_id = %s', [globex.id])
            assert cursor.rowcount == 0
            cursor.execute(f'DELETE FROM "{table}" WHERE tenant_id = %s', [globex.id])
            assert cursor.rowcount == 0
    with connection.cursor() as cursor:  # no tenant at all: nothing
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        assert cursor.fetchone()[0] == 0
    with tenant_context(globex.id):
        assert model.objects.filter(pk=theirs.pk).exists()


def test_writing_a_row_into_another_tenant_is_refused(acme, globex, alice):
    from django.db import DatabaseError, transaction

    with tenant_context(acme.id), pytest.raises(DatabaseError), transaction.atomic():
        Membership.objects.create(tenant=globex, user=alice, role=Role.AGENT)


def test_nested_contexts_restore_the_outer_tenant(acme, globex, alice, carol):
    with tenant_context(acme.id):
        with tenant_context(globex.id):
            assert set(Membership.objects.values_list("tenant_id", flat=True)) == {globex.id}
        assert set(Membership.objects.values_list("tenant_id", flat=True)) == {acme.id}


class TestHttp:
    def test_a_member_of_a_gets_404_on_b(self, client, alice, carol):
        client.force_login(alice)
        assert client.get("/t/acme/").status_code == 200
        assert client.get("/t/globex/").status_code == 404
        assert client.get("/t/globex/settings/members/").status_code == 404

    def test_unknown_tenant_and_not_a_member_look_the_same(self, client, alice, globex):
        client.force_login(alice)
        unknown = client.get("/t/nope/")
        not_member = client.get("/t/globex/")
        assert unknown.status_code == not_member.status_code == 404

    def test_anonymous_is_sent_to_sign_in(self, client, acme):
        response = client.get("/t/acme/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/t/acme/")


class TestApiKeys:
    def _key(self, tenant, owner):
        with tenant_context(tenant.id):
            membership = Membership.objects.get(user=owner)
            return services.api_key_create(tenant=tenant, actor=membership, name="ci").key

    def test_a_key_works_on_its_own_tenant(self, client, acme, alice):
        key = self._key(acme, alice)
        response = client.get("/t/acme/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 200
        assert response.json()["tenant"] == "acme"

    def test_a_key_of_a_cannot_touch_b(self, client, acme, alice, carol):
        key = self._key(acme, alice)
        response = client.get("/t/globex/api/v1/members/", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 401
        assert "Invalid or revoked API key" in response.json()["detail"]

    @pytest.mark.parametrize("header", ["Bearer hd_deadbeef_nope", "Bearer ", "Basic abc", "Bearer garbage"])
    def test_a_wrong_key_gets_401_with_a_message(self, client, acme, header):
        response = client.get("/t/acme/api/v1/me/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert response.json()["detail"]

    def test_no_credentials_get_401(self, client, acme):
        response = client.get("/t/acme/api/v1/me/")
        assert response.status_code in (401, 403)
        assert response.json()["detail"]

    def test_a_revoked_key_stops_working(self, client, acme, alice):
        key = self._key(acme, alice)
        with tenant_context(acme.id):
            membership = Membership.objects.get(user=alice)
            api_key = services.api_key_authenticate(tenant=acme, key=key)
            services.api_key_revoke(tenant=acme, actor=membership, api_key=api_key)
        assert client.get("/t/acme/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


@app.task(base=TenantTask, name="tests.count_memberships_unfiltered")
def count_memberships_unfiltered(tenant_id: int) -> list[int]:
    # Deliberately forgets the tenant filter: row-level security must still confine it.
    return sorted(set(Membership.objects.values_list("tenant_id", flat=True)))


def test_a_celery_task_for_a_cannot_read_b(acme, globex, alice, carol):
    assert count_memberships_unfiltered.apply(args=[acme.id]).get() == [acme.id]
    assert count_memberships_unfiltered.apply(args=[globex.id]).get() == [globex.id]


@pytest.mark.django_db(transaction=True)
class TestWebSocket:
    async def _connect(self, client, user, path):
        await sync_to_async(client.force_login)(user)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        communicator = WebsocketCommunicator(application, path, headers=[(b"cookie", cookie.encode()),
                                                                         (b"origin", b"http://testserver"),
                                                                         (b"host", b"testserver")])
        connected, code = await communicator.connect()
        return communicator, connected, code

    async def test_a_member_joins_its_own_tenant(self, client, acme, alice):
        communicator, connected, _ = await self._connect(client, alice, "/ws/t/acme/events/")
        assert connected
        assert (await communicator.receive_json_from())["tenant"] == "acme"
        await communicator.send_json_to({"type": "bogus"})
        assert (await communicator.receive_json_from())["type"] == "error"
        for frame in ("not json", "[" * 3000 + "]" * 3000, "x" * 5000):
            await communicator.send_to(text_data=frame)
            assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.send_to(bytes_data=b"\x00")
        assert (await communicator.receive_json_from())["error"] == "bad_frame"
        await communicator.send_json_to({"type": "ping"})
        assert (await communicator.receive_json_from())["type"] == "pong"
        await communicator.disconnect()

    async def test_a_socket_of_a_cannot_join_b(self, client, acme, alice, globex, carol):
        _communicator, connected, code = await self._connect(client, alice, "/ws/t/globex/events/")
        assert not connected
        assert code == 4404

    async def test_b_events_never_reach_a(self, client, acme, alice, globex, carol):
        from helpdesk.realtime import publish

        communicator, connected, _ = await self._connect(client, alice, "/ws/t/acme/events/")
        assert connected
        await communicator.receive_json_from()
        await sync_to_async(publish)(globex.id, ("agents",), "event", {"type": "secret"})
        await sync_to_async(publish)(acme.id, ("agents",), "event", {"type": "mine"})
        assert (await communicator.receive_json_from(timeout=3))["type"] == "mine"
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()


def test_membership_factory_is_scoped(acme):
    membership = MembershipFactory(tenant=acme)
    with tenant_context(acme.id):
        assert Membership.objects.filter(pk=membership.pk).exists()
