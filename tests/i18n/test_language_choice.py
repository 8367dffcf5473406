"""Whose language where: agents and admins work in their profile's language, else their browser's; a tenant's
customers get one of the tenant's languages; times show in the tenant's time zone."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone, translation

from helpdesk.i18n import LanguageMiddleware
from tenants.models import Tenant, User

pytestmark = pytest.mark.django_db


def _language(response) -> str:
    return response["Content-Language"]


class TestAgents:
    def test_the_profiles_language_wins_over_the_browsers(self, client, bob: User) -> None:
        bob.language = "zh-hans"
        bob.save()
        client.force_login(bob)
        assert _language(client.get("/t/acme/", HTTP_ACCEPT_LANGUAGE="en-GB,en")) == "zh-hans"

    def test_without_a_profile_language_the_browser_decides(self, client, bob: User) -> None:
        client.force_login(bob)
        assert _language(client.get("/t/acme/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")) == "zh-hans"
        assert _language(client.get("/t/acme/", HTTP_ACCEPT_LANGUAGE="fr-FR")) == "en"

    def test_the_profile_page_sets_the_language(self, client, bob: User) -> None:
        client.force_login(bob)
        response = client.post("/accounts/profile/", {"name": "Bob", "language": "zh-hans"})
        assert response.status_code == 302
        bob.refresh_from_db()
        assert bob.language == "zh-hans"
        assert _language(client.get("/accounts/profile/")) == "zh-hans"
        bad = client.post("/accounts/profile/", {"name": "Bob", "language": "tlh"})
        assert bad.status_code == 400 and bad.context["form"].errors["language"]

    def test_the_profile_page_needs_a_sign_in(self, client) -> None:
        assert client.get("/accounts/profile/").status_code == 302


class TestCustomers:
    def test_a_tenants_customers_get_its_language_whatever_their_browser(self, client, acme: Tenant) -> None:
        acme.settings = {"language": "zh-hans"}
        acme.save()
        assert _language(client.get("/h/acme/", HTTP_ACCEPT_LANGUAGE="en-US")) == "zh-hans"

    def test_the_switcher_chooses_among_the_tenants_languages_only(self, client, acme: Tenant) -> None:
        acme.settings = {"language": "zh-hans", "languages": ["en"]}
        acme.save()
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/h/acme/"})
        assert response.status_code == 302 and response["Location"] == "/h/acme/"
        assert _language(client.get("/h/acme/")) == "en"
        acme.settings = {"language": "zh-hans"}  # English no longer offered: the cookie is ignored
        acme.save()
        assert _language(client.get("/h/acme/")) == "zh-hans"

    def test_an_admin_sets_the_customers_languages_and_time_zone(self, client, alice, acme: Tenant) -> None:
        client.force_login(alice)
        response = client.post("/t/acme/settings/", {"name": "Acme", "primary_color": "#112233",
                                                     "language": "zh-hans", "languages": ["en"],
                                                     "timezone": "Asia/Shanghai"})
        assert response.status_code == 302
        acme.refresh_from_db()
        assert acme.language == "zh-hans" and acme.languages == ["zh-hans", "en"]
        assert acme.timezone == "Asia/Shanghai"
        bad = client.post("/t/acme/settings/", {"name": "Acme", "timezone": "Mars/Olympus"})
        assert bad.status_code == 400 and bad.context["form"].errors["timezone"]


def test_times_show_in_the_tenants_time_zone(acme: Tenant) -> None:
    acme.settings = {"timezone": "Asia/Shanghai"}
    seen: list[str] = []

    def view(request) -> HttpResponse:
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    request = RequestFactory().get("/h/acme/")
    request.tenant = acme
    request.user = None
    with translation.override("en"):
        LanguageMiddleware(view)(request)
    assert seen == ["Asia/Shanghai"]
    timezone.deactivate()
