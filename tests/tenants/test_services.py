from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tenants import services
from tenants.models import AuditEvent, Membership, Role, Tenant, User
from tenants.rls import tenant_context
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _membership(tenant: Tenant, user: User) -> Membership:
    return Membership.objects.for_tenant(tenant).get(user=user)


def test_tenant_create_makes_an_owner_and_audits(db):
    tenant = services.tenant_create(slug="initech", name="Initech", owner_email="Peter@Initech.test",
                                    owner_password="tps-reports-1")
    with tenant_context(tenant.id):
        membership = Membership.objects.get()
        assert membership.user.email == "peter@initech.test"
        assert membership.role == Role.OWNER
        assert AuditEvent.objects.filter(action="tenant.created").count() == 1


@pytest.mark.parametrize("slug", ["acme", "admin", "Bad Slug", "-x", ""])
def test_tenant_create_refuses_taken_reserved_or_malformed_slugs(acme, slug):
    with pytest.raises(ValidationError) as excinfo:
        services.tenant_create(slug=slug, name="X", owner_email="x@x.test", owner_password="long-enough-1")
    assert "slug" in excinfo.value.message_dict


class TestRoles:
    def test_agents_cannot_invite_or_manage(self, in_acme, alice, bob):
        with pytest.raises(PermissionDenied):
            services.invitation_create(tenant=in_acme, actor=_membership(in_acme, bob), email="n@x.test",
                                       role=Role.AGENT)
        with pytest.raises(PermissionDenied):
            services.member_change_role(tenant=in_acme, actor=_membership(in_acme, bob),
                                        membership=_membership(in_acme, alice), role=Role.AGENT)
        with pytest.raises(PermissionDenied):
            services.api_key_create(tenant=in_acme, actor=_membership(in_acme, bob), name="k")

    def test_admins_manage_agents_but_not_admins(self, in_acme, alice, bob):
        admin = MembershipFactory(tenant=in_acme, user=UserFactory(email="adm@acme.test"), role=Role.ADMIN)
        other_admin = MembershipFactory(tenant=in_acme, user=UserFactory(email="adm2@acme.test"), role=Role.ADMIN)
        agent = _membership(in_acme, bob)
        services.member_change_role(tenant=in_acme, actor=admin, membership=agent, role=Role.AGENT)
        services.invitation_create(tenant=in_acme, actor=admin, email="new@acme.test", role=Role.AGENT)
        with pytest.raises(PermissionDenied):
            services.member_change_role(tenant=in_acme, actor=admin, membership=agent, role=Role.ADMIN)
        with pytest.raises(PermissionDenied):
            services.member_remove(tenant=in_acme, actor=admin, membership=other_admin)
        with pytest.raises(PermissionDenied):
            services.invitation_create(tenant=in_acme, actor=admin, email="boss@acme.test", role=Role.ADMIN)

    def test_owners_manage_admins(self, in_acme, alice, bob):
        owner, agent = _membership(in_acme, alice), _membership(in_acme, bob)
        services.member_change_role(tenant=in_acme, actor=owner, membership=agent, role=Role.ADMIN)
        assert _membership(in_acme, bob).role == Role.ADMIN
        services.member_remove(tenant=in_acme, actor=owner, membership=_membership(in_acme, bob))
        assert not Membership.objects.filter(user=bob).exists()

    def test_the_last_owner_cannot_leave_or_be_demoted(self, in_acme, alice):
        owner = _membership(in_acme, alice)
        with pytest.raises(ValidationError):
            services.member_change_role(tenant=in_acme, actor=owner, membership=owner, role=Role.AGENT)
        with pytest.raises(ValidationError):
            services.member_remove(tenant=in_acme, actor=owner, membership=owner)


def test_invitation_round_trip(in_acme, alice):
    issued = services.invitation_create(tenant=in_acme, actor=_membership(in_acme, alice), email="Eve@acme.test",
                                        role=Role.AGENT)
    user = services.invitation_account(tenant=in_acme, token=issued.token, name="Eve", password="eve-password")
    membership = services.invitation_accept(tenant=in_acme, token=issued.token, user=user)
    assert (membership.user.email, membership.role) == ("eve@acme.test", Role.AGENT)
    with pytest.raises(ValidationError):  # single use
        services.invitation_accept(tenant=in_acme, token=issued.token, user=user)


def test_an_invitation_of_a_is_worthless_in_b(acme, globex, alice, carol):
    with tenant_context(acme.id):
        issued = services.invitation_create(tenant=acme, actor=_membership(acme, alice), email="eve@x.test",
                                            role=Role.AGENT)
    with tenant_context(globex.id), pytest.raises(ValidationError):
        services.invitation_account(tenant=globex, token=issued.token, name="Eve", password="eve-password")


def test_api_keys_are_stored_hashed(in_acme, alice):
    issued = services.api_key_create(tenant=in_acme, actor=_membership(in_acme, alice), name="zapier")
    assert issued.key not in issued.api_key.key_hash
    assert services.api_key_authenticate(tenant=in_acme, key=issued.key) == issued.api_key
    assert services.api_key_authenticate(tenant=in_acme, key=issued.key + "x") is None
