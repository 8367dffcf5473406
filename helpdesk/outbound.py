"""Destinations a tenant chooses (a model endpoint today; webhooks and mail servers follow): public ones only.

Anyone can sign up and become a tenant admin, so a URL they give must not reach the installation's own network:
loopback, private ranges, link-local (the cloud metadata service at 169.254.169.254), carrier-grade NAT, multicast,
reserved and unspecified addresses are refused, judged by every address the host name resolves to. The check runs
when the URL is saved (a field error) and again just before each call, since what a name resolves to can change in
between. The operator's own destinations (settings such as ``AI_OPENAI_BASE_URL``) are trusted and not checked; an
operator whose tenants really run servers on a private network sets ``TENANT_DESTINATIONS_ALLOW_PRIVATE``.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

SCHEMES = ("http", "https")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeDestination(ValueError):
    """The URL is malformed, not http(s), does not resolve, or reaches a non-public address."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (tests replace this to play DNS)."""
    try:
        return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeDestination(f"{host} does not resolve") from exc


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return address.is_global and not address.is_multicast


def destination_check(url: str) -> None:
    """Raise ``UnsafeDestination`` unless ``url`` is an http(s) URL whose host resolves only to public addresses."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeDestination("not a valid URL") from exc
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise UnsafeDestination("use an http:// or https:// URL with a host name")
    if settings.TENANT_DESTINATIONS_ALLOW_PRIVATE:
        return
    host = parts.hostname
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:  # an IPv6 scope ("fe80::1%eth0") is not part of the address
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
    if not addresses:
        raise UnsafeDestination(f"{host} does not resolve")
    for address in addresses:
        if not is_public(address):
            raise UnsafeDestination(f"{host} is not a public address ({address}); private, loopback and link-local "
                                    "destinations are refused")
