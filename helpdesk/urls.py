from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from helpdesk import views
from tenants import views as tenant_views

tenant_patterns: list[URLPattern | URLResolver] = [
    path("", include("tenants.urls")),
    path("tickets/", include(("tickets.urls", "tickets"))),
    path("kb/", include(("kb.urls", "kb"))),
    path("chat/", include(("chat.urls", "chat"))),
    path("ai/", include(("ai.urls", "ai"))),
    path("api/v1/", include("helpdesk.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", views.TenantSwaggerView.as_view(), name="api_docs"),
]

urlpatterns = [
    path("", views.index, name="index"),
    path("healthz", views.healthz, name="healthz"),
    path("signup/", tenant_views.signup, name="signup"),
    path("signup/confirm/<str:token>/", tenant_views.signup_confirm, name="signup_confirm"),
    path("home/", tenant_views.home, name="home"),
    path("accounts/login/", tenant_views.login_view, name="login"),
    path("accounts/password_reset/", tenant_views.password_reset_view, name="password_reset"),
    path("accounts/profile/", tenant_views.profile, name="profile"),
    path("accounts/", include("django.contrib.auth.urls")),
    # The language switcher (POST, sets the language cookie) and the JavaScript catalogue (?lang=: the page's own).
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("t/<slug:tenant_slug>/", include(tenant_patterns)),
    # Hosted pages, public: the help center (with the customer portal) and the chat page.
    path("h/<slug:tenant_slug>/", include(("kb.urls_public", "helpcenter"))),
    path("h/<slug:tenant_slug>/portal/", include(("tickets.urls_public", "portal"))),
    path("c/<slug:tenant_slug>/", include(("chat.urls_public", "chatpage"))),
]

handler400 = "helpdesk.views.bad_request"
handler403 = "helpdesk.views.permission_denied"
handler404 = "helpdesk.views.page_not_found"
handler500 = "helpdesk.views.server_error"
