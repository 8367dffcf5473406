"""A tenant's custom domain: a host name of its own, proven by a DNS TXT record, never the site's.

A custom domain makes the middleware serve that tenant's hosted pages (and redirect everything else to them) for
every request with that Host. So the site's own host, the hosted base domain and its subdomains (other tenants'),
``localhost`` and IP addresses are refused, and with ``CUSTOM_DOMAIN_VERIFICATION`` on (the default) the tenant must
first publish ``helpdesk-verification=<token>`` as a TXT record at ``_helpdesk.<domain>``: otherwise anyone could
claim a domain they do not hold, and keep its owner from using it here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tenants.models import Tenant

# Labels of letters, digits and hyphens; the last one starts with a letter, so an IPv4 address is not a host name.
HOST_NAME = re.compile(r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
RECORD_PREFIX = "_helpdesk."


def verification_token(tenant: Tenant) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"custom-domain:{tenant.id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def verification_record(tenant: Tenant, domain: str) -> tuple[str, str]:
    """(name, value) of the TXT record that proves ``tenant`` holds ``domain``."""
    return f"{RECORD_PREFIX}{domain}", f"helpdesk-verification={verification_token(tenant)}"


def txt_records(name: str) -> list[str]:
    """The TXT strings published at ``name`` (tests replace this to play DNS)."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=5.0)
    except dns.exception.DNSException:
        return []
    return [b"".join(record.strings).decode(errors="replace") for record in answer]


def custom_domain_check(*, tenant: Tenant, domain: str) -> None:
    """Raise a field error unless ``domain`` may serve ``tenant``'s hosted pages."""
    if not HOST_NAME.fullmatch(domain):
        raise ValidationError({"custom_domain": _("Enter a host name such as help.example.com (no address, port or "
                                                  "path).")})
    base = settings.HOSTED_BASE_DOMAIN.lower()
    site = (urlsplit(settings.SITE_URL).hostname or "").lower()
    if domain in {site, base} or domain.endswith(f".{base}") or domain == "localhost" or domain.endswith(
            ".localhost"):
        raise ValidationError({"custom_domain": _("This host belongs to the help desk service itself.")})
    if Tenant.objects.filter(custom_domain=domain).exclude(id=tenant.id).exists():
        raise ValidationError({"custom_domain": _("Another help desk uses this domain.")})
    if settings.CUSTOM_DOMAIN_VERIFICATION:
        name, value = verification_record(tenant, domain)
        if value not in txt_records(name):
            raise ValidationError({"custom_domain": _("Prove you hold this domain: add a TXT record at %(name)s with "
                                                      "the value %(value)s, then save again.")
                                                    % {"name": name, "value": value}})
