"""Every setting comes from the environment; production differs from development only in env values."""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext

from helpdesk.env import database_from_url, env_bool, env_float, env_int, env_list, env_secret, env_str

# Lets generic annotations such as ModelAdmin[Tenant] work at run time, as django-stubs writes them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me"  # refused by `manage.py check --deploy` (helpdesk/checks.py)
SECRET_KEY = env_secret("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
# Hosted pages answer on <slug>.<HOSTED_BASE_DOMAIN> (and on a tenant's custom domain).
HOSTED_BASE_DOMAIN = env_str("HOSTED_BASE_DOMAIN", "helpdesk.localhost")
# The hosts this installation answers to (env ALLOWED_HOSTS, Django's syntax), plus tenants' verified custom
# domains, which change at run time: tenants.middleware.HostMiddleware checks both, so Django's own check is open.
# `check --deploy` refuses "*" here (helpdesk/checks.py).
SERVED_HOSTS = env_list("ALLOWED_HOSTS", [
    SITE_URL.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0], "." + HOSTED_BASE_DOMAIN, "localhost",
    "127.0.0.1", "[::1]",
])
ALLOWED_HOSTS = ["*"]
# A custom domain is accepted once the tenant publishes a TXT record proving it holds it (tenants/domains.py).
CUSTOM_DOMAIN_VERIFICATION = env_bool("CUSTOM_DOMAIN_VERIFICATION", True)

INSTALLED_APPS = [
    "channels",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tenants",
    "helpdesk",
    "tickets",
    "kb",
    "chat",
    "ai",
]

MIDDLEWARE = [
    "tenants.middleware.HostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.TenantMiddleware",
    "helpdesk.i18n.LanguageMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenant",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# The application connects as a role that cannot bypass row-level security and has no DDL rights.
# ``manage.py migrate`` uses the "owner" alias (the role that owns the tables); see tenants/rls.py.
_DATABASE_URL = env_secret("DATABASE_URL", "postgres://helpdesk_app@localhost:5432/helpdesk")
_DATABASE_OWNER_URL = env_secret("DATABASE_OWNER_URL", _DATABASE_URL)
DATABASES = {
    "default": database_from_url(_DATABASE_URL),
    "owner": database_from_url(_DATABASE_OWNER_URL),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The role that web, WebSocket and worker processes connect as; RLS policies are written for it.
DATABASE_APP_ROLE = str(DATABASES["default"]["USER"]) or "helpdesk_app"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "helpdesk",
    }
}
# Redis pub/sub: one PUBLISH per group send, pushed to every subscribed process. The list-based layer
# (channels_redis.core) pops one message per Redis round trip per process and could not carry the chat's load.
# Pub/sub drops messages for sockets that are gone, which costs nothing here: chat messages are persisted before
# they are sent, and a reconnecting client resumes from its last sequence number.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        # redis-py 8 defaults to a 5 s socket timeout; keep reads on idle connections from failing.
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
    }
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task whose worker died is handed to another worker after this many seconds (kombu's Redis transport re-queues
# tasks left unacknowledged this long). acks_late tasks must finish well within it, or a second worker would start
# them while the first still runs; the long ones (KB import, classifier training) acknowledge at start and keep
# their own state instead.
CELERY_VISIBILITY_TIMEOUT_S = env_int("CELERY_VISIBILITY_TIMEOUT_S", 60)
# Workers sweep for such tasks every sixth of the timeout (kombu's default sweep is every 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_S,
    "unacked_restore_interval": max(1, CELERY_VISIBILITY_TIMEOUT_S // 6), "unacked_restore_throttle": 1,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"ai.*": {"queue": "ai"}, "kb.tasks.*": {"queue": "ai"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Tasks scheduled further ahead than the broker can hold them (helpdesk/schedule.py).
    "helpdesk-scheduled-release": {"task": "helpdesk.tasks.scheduled_release", "schedule": 10.0},
    # Mark tickets whose SLA clocks ran out (fans out one task per tenant).
    "tickets-sla-breaches": {"task": "tickets.tasks.sla_check_all", "schedule": env_float("SLA_CHECK_SECONDS", 60.0)},
    # Optional IMAP polling for tenants that configured a mailbox.
    "tickets-imap-poll": {"task": "tickets.tasks.imap_poll_all", "schedule": env_float("IMAP_POLL_SECONDS", 120.0)},
    # Retrain each tenant's triage classifier on new labels; a version is activated only if it is better.
    "ai-classifier-retrain": {"task": "ai.tasks.classifier_train_all",
                              "schedule": env_float("AI_RETRAIN_SECONDS", 24 * 3600.0)},
    # Delete chat files uploaded more than a day ago but never sent in a message (one task per tenant).
    "chat-unsent-uploads-purge": {"task": "chat.tasks.unsent_attachments_purge_all",
                                  "schedule": env_float("CHAT_UPLOAD_PURGE_SECONDS", 3600.0)},
}

AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = env_list("PASSWORD_HASHERS", ["django.contrib.auth.hashers.PBKDF2PasswordHasher"])

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / ".var" / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "support@helpdesk.localhost")
# Inbound address domain: mail to <slug>@<INBOUND_EMAIL_DOMAIN> lands in that tenant.
INBOUND_EMAIL_DOMAIN = env_str("INBOUND_EMAIL_DOMAIN", "helpdesk.localhost")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / ".var" / "mail"))
IMAP_POLLING_ENABLED = env_bool("IMAP_POLLING_ENABLED", False)
# Customers' magic links into the ticket portal expire after this many seconds.
PORTAL_LINK_MAX_AGE = env_int("PORTAL_LINK_MAX_AGE", 7 * 24 * 3600)

# The UI's languages (locale/ holds the catalogues; CI fails on an untranslated message). Who gets which:
# helpdesk/i18n.py (an agent's profile, else the browser; a tenant's customers, the tenant's languages).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "helpdesk_language"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".var" / "staticfiles"
# Serve straight from the app folders too, so a checkout works before (or without) collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".var" / "media")))
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 30 * 1024 * 1024)
MAX_ATTACHMENT_BYTES = env_int("MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)

# A site served over https gets secure cookies and HSTS unless told otherwise; plain http (development) cannot.
_HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)  # tenants' subdomains may be http
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)  # usually the TLS proxy's job
# Set to "HTTP_X_FORWARDED_PROTO" behind a proxy that sets X-Forwarded-Proto (and strips the client's).
_PROXY_SSL_HEADER = env_str("SECURE_PROXY_SSL_HEADER", "")
SECURE_PROXY_SSL_HEADER = (_PROXY_SSL_HEADER, "https") if _PROXY_SSL_HEADER else None
# Deployment warnings this project answers by design (`manage.py check --deploy` fails on any other):
SILENCED_SYSTEM_CHECKS = [
    # Tenants' hosted subdomains (<slug>.HOSTED_BASE_DOMAIN) may sit behind another proxy; opt in when all are https.
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    # The TLS proxy in front redirects http to https; opt in with SECURE_SSL_REDIRECT where there is none.
    *([] if SECURE_SSL_REDIRECT else ["security.W008"]),
    # Submitting a domain to the browsers' HSTS preload list is the operator's decision, not a default.
    "security.W021",
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api_auth.ApiKeyAuthentication",
        "tenants.api_auth.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_auth.IsTenantMember"],
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "helpdesk.api_schema.AutoSchema",  # drf-spectacular's, plus the error responses
    "DEFAULT_PAGINATION_CLASS": "helpdesk.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "helpdesk.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Multi-tenant AI helpdesk. Every path is scoped to a tenant: /t/{tenant_slug}/api/v1/...",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Requests and responses get components of their own, so a request's schema says what the API accepts (a field
    # that may not be blank has minLength 1; read-only fields are not in it).
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "WebhookDeliveryStatusEnum": "tickets.models.DeliveryStatus",
    },
    "SERVE_PERMISSIONS": ["tenants.api_auth.IsTenantMember"],
    "SERVE_AUTHENTICATION": ["tenants.api_auth.ApiKeyAuthentication", "tenants.api_auth.TenantSessionAuthentication"],
    # Swagger UI's assets come from an installed package: self-hosted, nothing fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Reliability of the web and AI processes (API errors are JSON: helpdesk/api_errors.py).
# A request body that stops arriving for this many seconds is answered 408 and its connection closed
# (helpdesk/request_body.py: uvicorn itself waits for a declared body without limit), like nginx's client_body_timeout.
REQUEST_BODY_TIMEOUT_S = env_float("REQUEST_BODY_TIMEOUT_S", 30.0)
# Load the models a process uses when it starts (web: search; AI worker: answers and triage), so the first customer
# does not wait for them (ai/backends/warmup.py). The test suite turns it off (tests/conftest.py).
AI_WARM_UP = env_bool("AI_WARM_UP", True)

# AI settings: nothing is downloaded at run time.
AI_EMBEDDING_MODEL = env_str("AI_EMBEDDING_MODEL", "multilingual-e5-small")
# The triage classifier keeps the model its stored versions were fitted with.
AI_CLASSIFIER_EMBEDDING_MODEL = env_str("AI_CLASSIFIER_EMBEDDING_MODEL", "all-MiniLM-L6-v2")
AI_DEVICE = env_str("AI_DEVICE", "auto")
AI_CPU_THREADS = env_int("AI_CPU_THREADS", 1)  # torch threads per AI process; 0 = one per core
AI_OPENAI_BASE_URL = env_str("AI_OPENAI_BASE_URL", "")
AI_OPENAI_API_KEY = env_secret("AI_OPENAI_API_KEY", "")
AI_OPENAI_MODEL = env_str("AI_OPENAI_MODEL", "")
AI_OPENAI_TIMEOUT = env_float("AI_OPENAI_TIMEOUT", 30.0)
AI_GENERATION_MODEL_PATH = env_str("AI_GENERATION_MODEL_PATH", "")
# Further local models (directories or GGUF files) tenants may choose for the transformers backend. A tenant never
# names a path itself: that would probe the server's file system and load whatever it points at.
AI_LOCAL_MODELS = env_list("AI_LOCAL_MODELS")

# Secrets tenants give us are encrypted with these Fernet keys, newest first (helpdesk/crypto.py); empty: one key
# derived from SECRET_KEY, for development.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
# Addresses a tenant chooses (a model endpoint) must be public (helpdesk/outbound.py); set only when every tenant
# is trusted to reach the installation's private network.
TENANT_DESTINATIONS_ALLOW_PRIVATE = env_bool("TENANT_DESTINATIONS_ALLOW_PRIVATE", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
