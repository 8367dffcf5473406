"""Agent presence across console tabs, windows and web processes.

Each open console socket is an entry in a Redis sorted set per membership, scored by the time it expires; a live
socket refreshes its entry every HEARTBEAT_S (AgentChatConsumer). The agent goes offline when the last entry goes,
whether the socket closed cleanly or its process died (its entries simply expire, SOCKET_TTL_S later). Redis, not
the database, because every web process must see the same count and a crashed process cannot decrement anything.

Membership.presence in the database stays the one value the rest of the app reads (routing, member lists).
Opening and closing a socket lock the membership row while they update the set and read it, so a tab closing in
one process and another opening in a second process cannot leave the agent offline with a tab open.

"Away" is a choice, kept in Redis apart from the sockets: it survives reconnects and new tabs until the agent
chooses "online" again (a reconnect after a network blip must not put an away agent back into the routing).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from chat import broadcast
from helpdesk.redis_client import client, make_key
from tenants.models import Membership, Tenant
from tenants.services import member_set_presence

SOCKET_TTL_S = 90  # a socket not refreshed for this long counts as gone (its process died)
HEARTBEAT_S = 30
AWAY_TTL_S = 7 * 24 * 3600


def _sockets_key(tenant_id: int, membership_id: int) -> str:
    return make_key(f"chat:presence:{tenant_id}:{membership_id}")


def _away_key(tenant_id: int, membership_id: int) -> str:
    return make_key(f"chat:away:{tenant_id}:{membership_id}")


def _locked(tenant: Tenant, membership: Membership) -> Membership:
    return Membership.objects.for_tenant(tenant).select_for_update().get(id=membership.id)


def _set(tenant: Tenant, membership: Membership, current: str, presence: str, *, announce: bool = False) -> str:
    if current != presence:
        member_set_presence(tenant=tenant, membership=membership, presence=presence)
    membership.presence = presence
    # An explicit choice is shown in every console tab of the agent. Opening or closing a tab changes the value
    # only when no other tab is open, so there is no one else to tell then.
    if announce:
        broadcast.to_agent(tenant.id, membership.user_id, {"type": "presence", "presence": presence})
    return presence


@transaction.atomic
def console_opened(*, tenant: Tenant, membership: Membership, socket_id: str) -> str:
    """A console socket of the agent opened (or its entry had expired and came back): online, or still away."""
    current = _locked(tenant, membership)
    now, key = time.time(), _sockets_key(tenant.id, membership.id)
    pipe = client().pipeline(transaction=False)
    pipe.zremrangebyscore(key, "-inf", now)
    pipe.zadd(key, {socket_id: now + SOCKET_TTL_S})
    pipe.expire(key, SOCKET_TTL_S)
    pipe.exists(_away_key(tenant.id, membership.id))
    away = pipe.execute()[-1]
    return _set(tenant, membership, current.presence, "away" if away else "online")


def console_heartbeat(*, tenant_id: int, membership_id: int, socket_id: str) -> bool:
    """Keep a live socket's entry; False when it was gone (expired, say after a long stall): the caller then calls
    console_opened, which adds it back under the row lock. Only an existing entry is refreshed (XX), so a beat
    that races with console_closed cannot bring a closed socket back."""
    now, key = time.time(), _sockets_key(tenant_id, membership_id)
    pipe = client().pipeline(transaction=False)
    pipe.zadd(key, {socket_id: now + SOCKET_TTL_S}, xx=True, ch=True)
    pipe.expire(key, SOCKET_TTL_S)
    changed, _ = pipe.execute()
    return bool(changed)


@transaction.atomic
def console_closed(*, tenant: Tenant, membership: Membership, socket_id: str) -> str:
    """A console socket closed: offline once no live socket of the agent is left; otherwise unchanged."""
    current = _locked(tenant, membership)
    now, key = time.time(), _sockets_key(tenant.id, membership.id)
    pipe = client().pipeline(transaction=False)
    pipe.zrem(key, socket_id)
    pipe.zremrangebyscore(key, "-inf", now)
    pipe.zcard(key)
    left = pipe.execute()[-1]
    if left:
        return current.presence
    return _set(tenant, membership, current.presence, "offline")


@transaction.atomic
def presence_choose(*, tenant: Tenant, membership: Membership, presence: object) -> str:
    """The agent picks online or away (from any tab); away stays until they pick online."""
    if presence not in ("online", "away"):
        raise ValidationError({"presence": gettext("Choose online or away.")})
    current = _locked(tenant, membership)
    away_key = _away_key(tenant.id, membership.id)
    if presence == "away":
        client().set(away_key, 1, ex=AWAY_TTL_S)
    else:
        client().delete(away_key)
    return _set(tenant, membership, current.presence, str(presence), announce=True)


def mark_gone(*, tenant: Tenant, memberships: Iterable[Membership]) -> None:
    """Online in the database but without a live socket: their process died. Offline, so routing skips them."""
    for member in memberships:
        member_set_presence(tenant=tenant, membership=member, presence="offline")


def connected(*, tenant: Tenant, memberships: Iterable[Membership]) -> list[Membership]:
    """Those of ``memberships`` with at least one live console socket (one Redis round trip)."""
    members = list(memberships)
    if not members:
        return []
    now = time.time()
    pipe = client().pipeline(transaction=False)
    for member in members:
        pipe.zcount(_sockets_key(tenant.id, member.id), now, "+inf")
    return [member for member, count in zip(members, pipe.execute(), strict=True) if count]
