"""factory_boy factories. Tenant-owned rows are created inside their tenant's RLS context."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from helpdesk.crypto import secret_encrypt
from tenants.models import ApiKey, Membership, Role, Tenant, User
from tenants.rls import tenant_context

PASSWORD = "correct-horse-battery"


class TenantFactory(DjangoModelFactory[Tenant]):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class TenantOwnedFactory(DjangoModelFactory[Any]):
    """Creates the row in its tenant's context, as a service would; RLS refuses it otherwise."""

    class Meta:
        abstract = True

    tenant = factory.SubFactory(TenantFactory)

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        with tenant_context(kwargs["tenant"].id):
            return super()._create(model_class, *args, **kwargs)


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.AGENT


class ApiKeyFactory(TenantOwnedFactory):
    class Meta:
        model = ApiKey

    name = "test key"
    prefix = factory.Sequence(lambda n: f"{n:08x}")
    key_hash = "x" * 64


class InvitationFactory(TenantOwnedFactory):
    class Meta:
        model = "tenants.Invitation"

    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(timezone.now)


class AuditEventFactory(TenantOwnedFactory):
    class Meta:
        model = "tenants.AuditEvent"

    action = "test.event"


class ChatSettingsFactory(TenantOwnedFactory):
    class Meta:
        model = "chat.ChatSettings"
        django_get_or_create = ("tenant",)


class VisitorFactory(TenantOwnedFactory):
    class Meta:
        model = "chat.Visitor"

    key = factory.Sequence(lambda n: f"{n:032x}")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"visitor{n}@example.test")


class ConversationFactory(TenantOwnedFactory):
    class Meta:
        model = "chat.Conversation"

    visitor = factory.SubFactory(VisitorFactory, tenant=factory.SelfAttribute("..tenant"))


class ChatMessageFactory(TenantOwnedFactory):
    class Meta:
        model = "chat.ChatMessage"

    conversation = factory.SubFactory(ConversationFactory, tenant=factory.SelfAttribute("..tenant"))
    seq = factory.Sequence(lambda n: n + 1)
    sender = "customer"
    text = "Hello"


class ChatAttachmentFactory(TenantOwnedFactory):
    class Meta:
        model = "chat.ChatAttachment"

    conversation = factory.SubFactory(ConversationFactory, tenant=factory.SelfAttribute("..tenant"))
    side = "customer"
    filename = "receipt.txt"
    content_type = "text/plain"
    data = b"paid"
    size = factory.LazyAttribute(lambda o: len(o.data))
_SAME_TENANT = factory.SelfAttribute("..tenant")


class CustomerFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.Customer"

    email = factory.Sequence(lambda n: f"customer{n}@example.test")
    name = factory.Faker("name")


class TeamFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.Team"

    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMemberFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.TeamMember"

    team = factory.SubFactory(TeamFactory, tenant=_SAME_TENANT)
    user = factory.SubFactory(UserFactory)


class SlaPolicyFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.SlaPolicy"

    name = "Standard"
    is_default = True
    targets = factory.LazyFunction(lambda: {
        "urgent": {"first_response": 30, "resolution": 240}, "high": {"first_response": 60, "resolution": 480},
        "normal": {"first_response": 240, "resolution": 1440}, "low": {"first_response": 480, "resolution": 2880},
    })


class TicketCounterFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.TicketCounter"
        django_get_or_create = ("tenant",)


class TicketFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.Ticket"

    number = factory.Sequence(lambda n: 100_000 + n)
    subject = factory.Faker("sentence", nb_words=5)
    requester = factory.SubFactory(CustomerFactory, tenant=_SAME_TENANT)


class MessageFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.Message"

    ticket = factory.SubFactory(TicketFactory, tenant=_SAME_TENANT)
    author_type = "customer"
    body = factory.Faker("paragraph")


class AttachmentFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.Attachment"

    message = factory.SubFactory(MessageFactory, tenant=_SAME_TENANT)
    filename = "note.txt"
    size = 5
    data = b"hello"


class MacroFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.Macro"

    name = factory.Sequence(lambda n: f"Macro {n}")
    body = "Hello {{customer_name}}, thanks for writing."
    actions = factory.LazyFunction(dict)


class TicketEventFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.TicketEvent"

    ticket = factory.SubFactory(TicketFactory, tenant=_SAME_TENANT)
    kind = "test.event"


class WebhookFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.Webhook"

    url = "http://127.0.0.1:9/hook"
    secret = factory.LazyFunction(lambda: secret_encrypt("s" * 64))
    events = factory.LazyFunction(lambda: ["ticket.created"])


class WebhookDeliveryFactory(TenantOwnedFactory):
    class Meta:
        model = "tickets.WebhookDelivery"

    webhook = factory.SubFactory(WebhookFactory, tenant=_SAME_TENANT)
    event = "ticket.created"
class CategoryFactory(TenantOwnedFactory):
    class Meta:
        model = "kb.Category"

    title = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ArticleFactory(TenantOwnedFactory):
    class Meta:
        model = "kb.Article"

    category = factory.SubFactory(CategoryFactory, tenant=factory.SelfAttribute("..tenant"))
    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    body = "Some text."
    body_html = "<p>Some text.</p>"


class ArticleRevisionFactory(TenantOwnedFactory):
    class Meta:
        model = "kb.ArticleRevision"

    article = factory.SubFactory(ArticleFactory, tenant=factory.SelfAttribute("..tenant"))
    number = factory.Sequence(lambda n: n + 1)
    title = factory.SelfAttribute("article.title")
    body = factory.SelfAttribute("article.body")


class ArticleFeedbackFactory(TenantOwnedFactory):
    class Meta:
        model = "kb.ArticleFeedback"

    article = factory.SubFactory(ArticleFactory, tenant=factory.SelfAttribute("..tenant"))
    helpful = True


class ChunkFactory(TenantOwnedFactory):
    class Meta:
        model = "kb.Chunk"

    revision = factory.SubFactory(ArticleRevisionFactory, tenant=factory.SelfAttribute("..tenant"))
    article = factory.SelfAttribute("revision.article")
    ordinal = factory.Sequence(lambda n: n)
    heading = "Heading"
    text = "Chunk text."
    embedding = factory.LazyFunction(lambda: [1.0] + [0.0] * 383)
    embedding_model = "test-model"


class ImportJobFactory(TenantOwnedFactory):
    class Meta:
        model = "kb.ImportJob"

    archive_name = factory.Sequence(lambda n: f"docs-{n}.zip")


class AISettingsFactory(TenantOwnedFactory):
    class Meta:
        model = "ai.AISettings"


class TraceFactory(TenantOwnedFactory):
    class Meta:
        model = "ai.Trace"

    kind = "chat_answer"
    source_id = factory.Sequence(lambda n: n + 1)
    input_text = "where is my card"
    decision = "handoff"
    reason = "low_confidence"


class ClassifierVersionFactory(TenantOwnedFactory):
    class Meta:
        model = "ai.ClassifierVersion"

    version = factory.Sequence(lambda n: n + 1)
    features = "embedding+tfidf"
    blob = b""


class SuggestionFactory(TenantOwnedFactory):
    class Meta:
        model = "ai.Suggestion"

    source = "ticket"
    message_id = factory.Sequence(lambda n: n + 1)
    ticket_id = factory.Sequence(lambda n: n + 1)
    text = "Express delivery costs £5."


class FeedbackFactory(TenantOwnedFactory):
    class Meta:
        model = "ai.Feedback"

    kind = "category"
    ticket_id = factory.Sequence(lambda n: n + 1)
    text = "my card has not arrived"
    label = "cards"


# One factory per tenant-owned model: tests/tenants/test_isolation.py creates a row of each for two tenants
# and proves neither sees the other's. A new tenant-owned model without an entry here fails that test.
TENANT_FACTORIES: dict[str, type[TenantOwnedFactory]] = {
    "tenants.Membership": MembershipFactory,
    "tenants.ApiKey": ApiKeyFactory,
    "tenants.Invitation": InvitationFactory,
    "tenants.AuditEvent": AuditEventFactory,
    "chat.ChatSettings": ChatSettingsFactory,
    "chat.Visitor": VisitorFactory,
    "chat.Conversation": ConversationFactory,
    "chat.ChatMessage": ChatMessageFactory,
    "chat.ChatAttachment": ChatAttachmentFactory,
    "tickets.Customer": CustomerFactory,
    "tickets.Team": TeamFactory,
    "tickets.TeamMember": TeamMemberFactory,
    "tickets.SlaPolicy": SlaPolicyFactory,
    "tickets.TicketCounter": TicketCounterFactory,
    "tickets.Ticket": TicketFactory,
    "tickets.Message": MessageFactory,
    "tickets.Attachment": AttachmentFactory,
    "tickets.Macro": MacroFactory,
    "tickets.TicketEvent": TicketEventFactory,
    "tickets.Webhook": WebhookFactory,
    "tickets.WebhookDelivery": WebhookDeliveryFactory,
    "kb.Category": CategoryFactory,
    "kb.Article": ArticleFactory,
    "kb.ArticleRevision": ArticleRevisionFactory,
    "kb.ArticleFeedback": ArticleFeedbackFactory,
    "kb.Chunk": ChunkFactory,
    "kb.ImportJob": ImportJobFactory,
    "ai.AISettings": AISettingsFactory,
    "ai.Trace": TraceFactory,
    "ai.ClassifierVersion": ClassifierVersionFactory,
    "ai.Suggestion": SuggestionFactory,
    "ai.Feedback": FeedbackFactory,
}
