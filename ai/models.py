"""AI settings, run traces, classifier versions, suggestions and the feedback that trains the classifier."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantForeignKey, TenantOwned


class Backend(models.TextChoices):
    EXTRACTIVE = "extractive", _("Extractive (quotes the knowledge base, never invents)")
    TRANSFORMERS = "transformers", _("Local model (transformers: a model directory or GGUF file)")
    OPENAI = "openai", _("OpenAI-compatible endpoint (vLLM, Ollama, ...)")


class AISettings(TenantOwned):
    """One row per tenant, created with defaults on first read (``selectors.settings_for``)."""

    auto_reply_chat = models.BooleanField(default=True)
    auto_reply_email = models.BooleanField(default=False)
    suggestions_enabled = models.BooleanField(default=True)
    # When the bot is not sure enough to answer but has candidates: offer up to three articles ("These may help",
    # with "Talk to a person" beside them) instead of handing off at once.
    offer_articles = models.BooleanField(default=True)
    # Answer when the estimated chance of a right reply (ai.decision) reaches this; empty: the calibrated threshold.
    confidence_floor = models.FloatField(null=True, blank=True, default=None)
    backend = models.CharField(max_length=20, choices=Backend.choices, default=Backend.EXTRACTIVE)
    model = models.CharField(max_length=300, blank=True, help_text="Model directory, GGUF file or endpoint model name.")
    endpoint_url = models.URLField(blank=True, help_text="Base URL of an OpenAI-compatible API (…/v1).")
    # The tenant's own key for its endpoint, Fernet-encrypted (helpdesk/crypto.py); never shown back, only its hint.
    # The operator's key (AI_OPENAI_API_KEY) goes to the operator's endpoint only.
    api_key_encrypted = models.TextField(blank=True, default="")
    api_key_hint = models.CharField(max_length=8, blank=True, default="")
    handoff_on_negative = models.BooleanField(default=True)
    negative_threshold = models.FloatField(default=-0.4)
    urgent_when_angry = models.BooleanField(default=True)
    human_only_categories = models.JSONField(default=list, blank=True)
    routing_rules = models.JSONField(default=dict, blank=True)  # category slug -> team id
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="ai_settings_one_per_tenant")]


class Action(models.TextChoices):
    """What a run decided (``policy.Action``), kept in Trace.decision for answers and suggestions."""

    ANSWER = "answer", _("Answered")
    SUGGEST = "suggest", _("Suggested articles")
    HANDOFF = "handoff", _("Handed off")


class Reason(models.TextChoices):
    """Why a run decided as it did (``policy.Decision.reason`` and the reader's own reasons in ``answering``)."""

    CONFIDENT = "confident", _("confident")
    UNSURE = "unsure", _("unsure")
    ASKED_FOR_HUMAN = "asked_for_human", _("the customer asked for a person")
    HUMAN_ONLY_CATEGORY = "human_only_category", _("the topic is reserved for agents")
    URGENT = "urgent", _("a safety, health, legal or fraud matter")
    NEGATIVE_SENTIMENT = "negative_sentiment", _("the customer seems upset")
    LOW_CONFIDENCE = "low_confidence", _("no confident answer")
    NO_RESULTS = "no_results", _("the knowledge base returned nothing")
    NOT_IN_PASSAGES = "not_in_passages", _("the articles found do not answer")
    UNSUPPORTED = "unsupported", _("the answer was not supported by the sources")
    REPEATED = "repeated", _("the answer was already rejected")
    BACKEND_ERROR = "backend_error", _("the answer backend failed")


# Short names for the Recent runs table (Backend's labels are sentences, for the settings form).
BACKEND_NAMES = {
    Backend.EXTRACTIVE: _("Extractive"), Backend.TRANSFORMERS: _("Local model"),
    Backend.OPENAI: _("OpenAI-compatible"), "triage": _("Smart triage"),
}


def reason_label(code: str) -> str:
    """A hand-off or decision reason in the reader's language; an unknown one (older traces) as it is."""
    return str(Reason(code).label) if code in Reason.values else code


class Trace(TenantOwned):
    """One run of answering, suggesting or triage: what went in, what was found, what was decided and how fast."""

    class Kind(models.TextChoices):
        CHAT_ANSWER = "chat_answer", _("Chat answer")
        TICKET_ANSWER = "ticket_answer", _("Ticket answer")
        SUGGESTION = "suggestion", _("Suggested reply")
        TRIAGE = "triage", _("Smart triage")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    source_id = models.BigIntegerField(help_text="The chat or ticket message the run reacted to.")
    conversation_id = models.BigIntegerField(null=True, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True)
    input_text = models.TextField(blank=True)  # redacted
    query = models.TextField(blank=True)
    hits = models.JSONField(default=list, blank=True)
    decision = models.CharField(max_length=100, blank=True)  # an action or a category (slugs up to 80)
    reason = models.CharField(max_length=40, blank=True)
    backend = models.CharField(max_length=20, blank=True)
    model = models.CharField(max_length=300, blank=True)
    output_text = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # Detected language of the customer's message ("en", "zh", "und"); older traces kept it in details["language"].
    language = models.CharField(max_length=16, blank=True, default="")
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "kind", "-created_at"]),
            models.Index(fields=["tenant", "source_id"]),
        ]

    @property
    def decision_display(self) -> str:
        """Answers and suggestions record an action; triage records the category it chose (shown as it is)."""
        if self.kind != Trace.Kind.TRIAGE and self.decision in Action.values:
            return str(Action(self.decision).label)
        return self.decision

    @property
    def reason_display(self) -> str:
        if self.kind != Trace.Kind.TRIAGE:
            return reason_label(self.reason)
        # Triage records where its category came from: "classifier vN", "zero-shot" or "chat".
        version = self.reason.removeprefix("classifier v")
        if version != self.reason and version.isdigit():
            return str(_("classifier v%(version)s")) % {"version": version}
        return str({"zero-shot": _("zero-shot"), "chat": _("set in the chat")}.get(self.reason, self.reason))

    @property
    def backend_display(self) -> str:
        return str(BACKEND_NAMES.get(self.backend, self.backend))


class ClassifierVersion(TenantOwned):
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    features = models.CharField(max_length=40)
    blob = models.BinaryField()
    labels = models.JSONField(default=list)
    train_size = models.PositiveIntegerField(default=0)
    test_size = models.PositiveIntegerField(default=0)
    accuracy = models.FloatField(default=0.0)
    macro_f1 = models.FloatField(default=0.0)
    per_class = models.JSONField(default=list)  # [{"label", "precision", "recall", "f1", "support"}]
    confusion = models.JSONField(default=list)  # rows = true label, columns = predicted, in ``labels`` order
    is_active = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="ai_classifier_version_unique"),
            models.UniqueConstraint(fields=["tenant"], condition=models.Q(is_active=True),
                                    name="ai_classifier_one_active"),
        ]


class Suggestion(TenantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        INSERTED = "inserted", _("Inserted")
        EDITED = "edited", _("Edited")
        DISMISSED = "dismissed", _("Dismissed")

    source = models.CharField(max_length=10)  # "ticket" or "chat"
    ticket_id = models.BigIntegerField(null=True, blank=True)
    conversation_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField()
    text = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True)
    related = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "message_id"], name="ai_suggestion_per_message"),
        ]
        indexes = [
            models.Index(fields=["tenant", "ticket_id", "-created_at"]),
            models.Index(fields=["tenant", "conversation_id", "-created_at"]),
        ]


class Feedback(TenantOwned):
    """An agent's verdict: on a suggestion (inserted, edited, dismissed) or a category correction (a label)."""

    class Kind(models.TextChoices):
        INSERTED = "inserted", _("Inserted")
        EDITED = "edited", _("Edited")
        DISMISSED = "dismissed", _("Dismissed")
        CATEGORY = "category", _("Category")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    suggestion = TenantForeignKey(Suggestion, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="feedback")
    ticket_id = models.BigIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)  # the final reply, or the ticket text for a label
    label = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "kind", "-created_at"])]
        constraints = [
            # A relabel replaces the earlier label of the same ticket: one training example per ticket.
            models.UniqueConstraint(fields=["tenant", "ticket_id"], condition=models.Q(kind="category"),
                                    name="ai_feedback_one_label_per_ticket"),
        ]
