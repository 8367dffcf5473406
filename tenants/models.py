"""Tenants, users, memberships, invitations, API keys and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from typing import Self

RESERVED_SLUGS = frozenset(
    {"admin", "api", "www", "static", "media", "signup", "accounts", "login", "logout", "t", "h", "c", "ws", "help"}
)
slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$",
    "Use 1 to 40 lowercase letters, digits or hyphens, not starting or ending with a hyphen.",
)


class Tenant(models.Model):
    """A company using the help desk. The reference table: not row-level secured, never distributed."""

    slug = models.SlugField(max_length=40, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=120)
    custom_domain = models.CharField(max_length=253, unique=True, null=True, blank=True)
    # Branding of hosted pages: {"primary_color": "#0b5fff", "logo_url": "...", "welcome": "..."}.
    branding = models.JSONField(default=dict, blank=True)
    # Tenant-wide settings that do not deserve their own table (timezone, support address...).
    settings = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.slug

    @property
    def primary_color(self) -> str:
        return str(self.branding.get("primary_color") or "#2563eb")

    @property
    def language(self) -> str:
        """The language its customers see first (help center, chat page, widget, portal, e-mails)."""
        return str(self.settings.get("language") or settings.LANGUAGE_CODE)

    @property
    def timezone(self) -> str:
        """The IANA zone its pages show times in (its customers' and, by default, its agents')."""
        return str(self.settings.get("timezone") or settings.TIME_ZONE)

    @property
    def languages(self) -> list[str]:
        """The languages its customers may switch to, the default first."""
        offered = [str(code) for code in self.settings.get("languages") or [] if code != self.language]
        return [self.language, *offered]


class TenantQuerySet(models.QuerySet[Any]):
    def for_tenant(self, tenant: Tenant | int) -> Self:
        tenant_id = tenant if isinstance(tenant, int) else tenant.id
        return self.filter(tenant_id=tenant_id)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Querysets made inside ``tenant_context`` name its tenant, as row-level security already restricts them.

    The filter changes no result; it is for the planner: on a Citus cluster a query that states its tenant runs on
    the one worker holding that tenant's shards instead of on every shard (tenants/distribution.py).
    """

    def get_queryset(self) -> TenantQuerySet:
        from tenants.rls import current_tenant_id

        queryset = super().get_queryset()
        tenant_id = current_tenant_id()
        return queryset if tenant_id is None else queryset.filter(tenant_id=tenant_id)


class TenantForeignKey(models.ForeignKey):  # type: ignore[type-arg]
    """A reference from one tenant-owned row to another of the same tenant.

    In the database it is the composite key ``(tenant_id, <name>_id) -> (tenant_id, id)`` that
    tenants/distribution.py creates (Django's own constraint would reference ``id`` alone, which Citus cannot
    distribute and which would let a row point at another tenant's). Every join and every ``row.<name>`` lookup
    carries ``tenant_id`` too, so Citus keeps the join on one worker.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["db_constraint"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("db_constraint", None)
        return name, path, args, kwargs

    def get_extra_restriction(self, alias: str | None, related_alias: str) -> Any:
        # Subquery pushdown passes no alias for the referenced table; its rows are then selected by id alone,
        # which the enclosing query's tenant filter still bounds.
        if alias is None:
            return None
        from django.db.models.expressions import Col
        from django.db.models.lookups import Exact

        here = self.model._meta.get_field("tenant")
        there = self.related_model._meta.get_field("tenant")
        return Exact(Col(alias, there), Col(related_alias, here))  # type: ignore[arg-type]

    def get_extra_descriptor_filter(self, instance: models.Model) -> dict[str, Any]:
        return {"tenant_id": instance.tenant_id}  # type: ignore[attr-defined]


class TenantOwned(models.Model):
    """Base of every tenant-owned model: the tenant comes first, and row-level security guards the table."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects: ClassVar[TenantQuerySet] = TenantManager()  # type: ignore[assignment]

    class Meta:
        abstract = True

    def _do_update(self, base_qs: Any, using: Any, pk_val: Any, values: Any, *args: Any, **kwargs: Any) -> Any:
        # A row never changes tenant: save() leaves tenant_id out of its UPDATE (Citus refuses to write the
        # distribution column) and names the tenant in its WHERE, which routes it to one worker.
        values = [value for value in values if value[0].attname != "tenant_id"]
        base_qs = base_qs.filter(tenant_id=self.tenant_id)  # type: ignore[attr-defined]
        return super()._do_update(base_qs, using, pk_val, values, *args, **kwargs)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address; may belong to several tenants."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # The language of the pages this person works in; blank: the browser's (helpdesk/i18n.py).
    language = models.CharField(max_length=10, blank=True, choices=settings.LANGUAGES)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    AGENT = "agent", _("Agent")


ROLE_RANK = {Role.AGENT: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Membership(TenantOwned):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    # Presence for routing chats: only "online" agents are offered new conversations.
    presence = models.CharField(max_length=10, default="offline")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.tenant_id}:{self.role}"

    def has_role(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


class Invitation(TenantOwned):
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    token_hash = models.CharField(max_length=64)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "email"])]
        constraints = [models.UniqueConstraint(fields=["tenant", "token_hash"], name="invitation_unique_token")]

    def __str__(self) -> str:
        return f"invitation for {self.email}"


class ApiKey(TenantOwned):
    """Only a hash of the key is stored; the prefix identifies the key in lists and logs."""

    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "created_at"])]
        constraints = [models.UniqueConstraint(fields=["tenant", "prefix"], name="apikey_unique_prefix")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditEvent(TenantOwned):
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=120, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created_at"])]
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"
