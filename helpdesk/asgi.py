"""HTTP and WebSocket entry point (uvicorn)."""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the app registry loaded above)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from ai.backends import warmup  # noqa: E402
from helpdesk.checks import start_refuse_unsafe  # noqa: E402
from helpdesk.request_body import BodyReadTimeout  # noqa: E402
from helpdesk.routing import websocket_urlpatterns  # noqa: E402
from tenants.middleware import TenantWebsocketMiddleware  # noqa: E402

start_refuse_unsafe()
if settings.AI_WARM_UP:
    # In the background: the server accepts connections meanwhile, and pages that do not search need no model.
    warmup.warm_up_in_background(warmup.SEARCH)

# Everything loaded at start-up (Django, the apps, URL conf) lives as long as the process: keep it out of the
# garbage collector's scans, whose full passes otherwise stall every open socket of a busy process.
gc.collect()
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": BodyReadTimeout(django_asgi_app, timeout=settings.REQUEST_BODY_TIMEOUT_S),
        "websocket": AuthMiddlewareStack(TenantWebsocketMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
