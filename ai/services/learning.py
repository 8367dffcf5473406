"""Labels from agents, and the per-tenant classifier: train, evaluate on a held-out split, activate if better."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from ai import training
from ai.backends.classifier import TextClassifier
from ai.models import ClassifierVersion, Feedback
from tenants.models import Tenant, User

MIN_EXAMPLES = 20
MIN_PER_LABEL = 2


def label_record(*, tenant: Tenant, ticket_id: int, text: str, label: str, user: User | None) -> Feedback:
    """An agent's category for a ticket: the latest one wins (one training example per ticket)."""
    row, _ = Feedback.objects.for_tenant(tenant).update_or_create(
        tenant=tenant, ticket_id=ticket_id, kind=Feedback.Kind.CATEGORY,
        defaults={"text": text[:4000], "label": label, "user": user},
    )
    return row


def labelled_examples(*, tenant: Tenant) -> training.Examples:
    """Categories agents set or corrected on tickets (the latest per ticket), plus labels recorded directly."""
    from tickets.models import EventKind, Message, Ticket, TicketEvent

    labels: dict[int, tuple[str, str]] = {}
    events = (TicketEvent.objects.for_tenant(tenant).filter(kind=EventKind.CATEGORY_CHANGED, actor__isnull=False)
              .order_by("id").values_list("ticket_id", "data"))
    ticket_labels = {ticket_id: str(data.get("to") or "") for ticket_id, data in events}
    tickets = Ticket.objects.for_tenant(tenant).filter(id__in=list(ticket_labels)).only("id", "subject")
    first_bodies: dict[int, str] = {}
    for ticket_id, body in (Message.objects.for_tenant(tenant).filter(ticket_id__in=list(ticket_labels))
                            .order_by("-id").values_list("ticket_id", "body")):
        first_bodies[ticket_id] = body  # ordered newest first, so the first message wins
    for ticket in tickets:
        label = ticket_labels[ticket.id]
        if label:
            labels[ticket.id] = (f"{ticket.subject}\n{first_bodies.get(ticket.id, '')}", label)
    rows = Feedback.objects.for_tenant(tenant).filter(kind=Feedback.Kind.CATEGORY).exclude(label="").order_by("id")
    for index, (label_ticket, text, label) in enumerate(rows.values_list("ticket_id", "text", "label")):
        labels[label_ticket if label_ticket is not None else -1 - index] = (text, label)
    pairs = list(labels.values())
    return training.Examples([p[0] for p in pairs], [p[1] for p in pairs])


class NotEnoughLabels(Exception):
    pass


def classifier_train(*, tenant: Tenant, examples: training.Examples | None = None, seed: int = 0,
                     note: str = "", only_if_new_labels: bool = False) -> ClassifierVersion | None:
    """Fit on 80 %, evaluate on 20 %, store the version; it becomes active only if it beats the active one."""
    data = examples or labelled_examples(tenant=tenant)
    counts: dict[str, int] = {}
    for label in data.labels:
        counts[label] = counts.get(label, 0) + 1
    usable = {label for label, n in counts.items() if n >= MIN_PER_LABEL}
    kept = [(t, lab) for t, lab in zip(data.texts, data.labels, strict=True) if lab in usable]
    if len(kept) < MIN_EXAMPLES or len(usable) < 2:
        raise NotEnoughLabels(f"need {MIN_EXAMPLES} labelled tickets in at least two categories; have {len(kept)}")
    latest = ClassifierVersion.objects.for_tenant(tenant).order_by("-version").only("train_size", "test_size").first()
    if only_if_new_labels and latest is not None and latest.train_size + latest.test_size == len(kept):
        return None  # nothing new to learn from: don't pile up identical versions
    train, test = training.split(training.Examples([k[0] for k in kept], [k[1] for k in kept]), seed=seed)
    embedder = training.CachingEmbedder()
    classifier = training.fit(train, embedder=embedder)
    result = training.evaluate(classifier, test, embedder=embedder)
    # The active version is scored on the same held-out split, so the comparison is like for like.
    active = ClassifierVersion.objects.for_tenant(tenant).filter(is_active=True).first()
    baseline = None
    if active is not None:
        baseline = training.evaluate(TextClassifier.loads(bytes(active.blob)), test, embedder=embedder)
    return _store(tenant=tenant, classifier=classifier, result=result, baseline=baseline,
                  train_size=len(train.texts), note=note)


@transaction.atomic
def _store(*, tenant: Tenant, classifier: TextClassifier, result: training.Evaluation,
           baseline: training.Evaluation | None, train_size: int, note: str) -> ClassifierVersion:
    versions = ClassifierVersion.objects.for_tenant(tenant).select_for_update()
    active = versions.filter(is_active=True).first()
    number = (versions.aggregate(n=Max("version"))["n"] or 0) + 1
    reference = baseline or active
    better = reference is None or (result.macro_f1, result.accuracy) > (reference.macro_f1, reference.accuracy)
    if better and active is not None:
        ClassifierVersion.objects.for_tenant(tenant).filter(id=active.id).update(is_active=False)
    return ClassifierVersion.objects.create(
        tenant=tenant, version=number, features=classifier.features, blob=classifier.dumps(),
        labels=result.labels, train_size=train_size, test_size=result.size, accuracy=result.accuracy,
        macro_f1=result.macro_f1, per_class=result.per_class, confusion=result.confusion, is_active=better,
        note=note or ("activated: beats the active version" if better and active else
                      "activated: first version" if better else "kept inactive: not better than the active one"),
    )
