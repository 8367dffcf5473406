"""Learning: agents' category corrections become labels; a new classifier version activates only if better."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ai.models import ClassifierVersion
from ai.services import learning
from ai.services.triage import classify
from tenants.rls import tenant_context
from tickets import services as ticket_services

pytestmark = pytest.mark.slow

CARDS = ["my card has not arrived", "where is my new card", "card still not delivered after a week",
         "when will my card come in the post", "I never received my debit card", "the card you sent is missing",
         "how long until my replacement card arrives", "card delivery is taking forever"]
TOPUP = ["how do I top up", "add money to my account", "top up with apple pay failed", "can I top up by transfer",
         "my top-up did not go through", "top up limit", "why was my top up declined", "adding cash to the app"]


def test_agent_category_corrections_train_a_version_that_is_activated(acme, alice, monkeypatch) -> None:
    monkeypatch.setattr(learning, "MIN_EXAMPLES", 10)
    with tenant_context(acme.id):
        for i, text in enumerate(CARDS + TOPUP):
            ticket = ticket_services.ticket_create(tenant=acme, subject=f"Help {i}", body=text, channel="web",
                                                   requester_email=f"c{i}@example.com")
            label = "cards" if text in CARDS else "top-ups"
            ticket_services.ticket_update(tenant=acme, ticket=ticket, actor=alice, category=label)
        # A change by triage (no actor) is not a label.
        ticket = ticket_services.ticket_create(tenant=acme, subject="x", body="unrelated", channel="web",
                                               requester_email="z@example.com")
        ticket_services.ticket_set_triage(tenant=acme, ticket=ticket, category="cards", priority=None,
                                          sentiment=None, language=None)
        examples = learning.labelled_examples(tenant=acme)
        assert len(examples.texts) == 16 and "unrelated" not in " ".join(examples.texts)
        first = learning.classifier_train(tenant=acme)
        assert first.is_active and first.version == 1 and first.accuracy > 0.5
        assert first.per_class and len(first.confusion) == len(first.labels)
        assert classify(tenant=acme, text="my card never came")[0:2] == ("cards", "classifier v1")
        # Retrained on the same labels and split it is no better (a tie): stored, but not activated.
        second = learning.classifier_train(tenant=acme)
        assert second.version == 2 and not second.is_active and "not better" in second.note
        assert ClassifierVersion.objects.for_tenant(acme).get(is_active=True).id == first.id
        # The nightly run skips tenants without new labels.
        assert learning.classifier_train(tenant=acme, only_if_new_labels=True) is None


def test_too_few_labels_is_reported_not_crashed(acme) -> None:
    with tenant_context(acme.id), pytest.raises(learning.NotEnoughLabels):
        learning.classifier_train(tenant=acme)


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def test_the_generic_commands_train_and_evaluate_with_out_of_scope_recall(tmp_path) -> None:
    train = _write(tmp_path / "train.csv", [(t, "cards") for t in CARDS] + [(t, "top_up") for t in TOPUP])
    test = _write(tmp_path / "test.csv", [("my card did not arrive yet", "cards"), ("top up via bank", "top_up"),
                                          ("what is the weather in Paris", "oos"), ("recommend a pizza", "oos")])
    model = tmp_path / "model.bin"
    out = io.StringIO()
    call_command("train_classifier", str(train), out=str(model), no_progress=True, stdout=out)
    assert "16 examples, 2 labels" in out.getvalue()
    out = io.StringIO()
    call_command("evaluate_classifier", str(test), model=str(model), oos_threshold=0.7, per_class=True,
                 no_progress=True, stdout=out)
    text = out.getvalue()
    assert "oos recall:" in text and "in-scope acc.: 100.00 %" in text
    assert "cards" in text and "macro-F1" in text


def test_the_commands_reject_a_bad_csv(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\nx,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no 'text' column"):
        call_command("train_classifier", str(bad), out=str(tmp_path / "m.bin"), no_progress=True)
    with pytest.raises(CommandError):
        call_command("evaluate_classifier", str(tmp_path / "missing.csv"), train=str(bad), no_progress=True)
