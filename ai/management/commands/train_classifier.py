"""Train a text classifier on any CSV of text,label and save it to a file (see ``evaluate_classifier``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ai import training
from ai.management.commands._progress import progress_bar


class Command(BaseCommand):
    help = "Train a classifier (frozen MiniLM embeddings + TF-IDF n-grams -> logistic regression) from a CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("train", help="CSV with a header: a text column and a label column")
        parser.add_argument("--out", required=True, help="where to write the trained model")
        parser.add_argument("--features", default="embedding+tfidf", choices=["embedding+tfidf", "embedding", "tfidf"])
        parser.add_argument("--c", type=float, default=10.0, help="inverse regularisation strength")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="", help="default: 'label', else the other column")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            train = training.read_csv(options["train"], text_column=options["text_column"],
                                      label_column=options["label_column"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        update, bar = progress_bar("embedding", disable=options["no_progress"])
        started = time.monotonic()
        try:
            classifier = training.fit(train, embedder=training.CachingEmbedder(update), features=options["features"],
                                      c=options["c"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        Path(options["out"]).write_bytes(classifier.dumps())
        self.stdout.write(f"trained on {len(train.texts)} examples, {len(classifier.classes)} labels, "
                          f"in {time.monotonic() - started:.1f} s -> {options['out']}")
