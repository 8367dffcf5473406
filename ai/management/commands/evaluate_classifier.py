"""Evaluate a classifier on a test CSV: accuracy, macro-F1, per-class table, out-of-scope recall.

Either ``--model FILE`` (from ``train_classifier``) or ``--train FILE`` (fit first, in the same process, so
texts shared by both files are embedded once).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ai import training
from ai.backends.classifier import TextClassifier
from ai.management.commands._progress import progress_bar

# One per process: repeated call_command runs (the banking77 bench's seeds) reuse embeddings.
_EMBEDDER = training.CachingEmbedder()


class Command(BaseCommand):
    help = "Evaluate a text classifier on a CSV of text,label (with an 'oos' label for out-of-scope rows)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("test", help="CSV with a header: a text column and a label column")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--model", help="a model file written by train_classifier")
        source.add_argument("--train", help="a training CSV to fit on first")
        parser.add_argument("--features", default="embedding+tfidf", choices=["embedding+tfidf", "embedding", "tfidf"])
        parser.add_argument("--c", type=float, default=10.0)
        parser.add_argument("--oos-threshold", type=float, default=0.0,
                            help="predict 'oos' when the top probability is below this")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="")
        parser.add_argument("--per-class", action="store_true", help="print the per-class table")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        columns = {"text_column": options["text_column"], "label_column": options["label_column"]}
        update, bar = progress_bar("embedding", disable=options["no_progress"])
        _EMBEDDER.progress = update
        try:
            test = training.read_csv(options["test"], **columns)
            if options["model"]:
                classifier = TextClassifier.loads(Path(options["model"]).read_bytes())
            else:
                classifier = training.fit(training.read_csv(options["train"], **columns), embedder=_EMBEDDER,
                                          features=options["features"], c=options["c"])
            result = training.evaluate(classifier, test, embedder=_EMBEDDER, oos_threshold=options["oos_threshold"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
            _EMBEDDER.progress = None
        summary = {"test_size": result.size, "accuracy": round(result.accuracy, 4),
                   "macro_f1": round(result.macro_f1, 4), "oos_recall": result.oos_recall,
                   "in_scope_accuracy": result.in_scope_accuracy}
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(f"test examples: {result.size}")
        self.stdout.write(f"accuracy:      {result.accuracy * 100:.2f} %")
        self.stdout.write(f"macro-F1:      {result.macro_f1 * 100:.2f} %")
        if result.oos_recall is not None:
            self.stdout.write(f"oos recall:    {result.oos_recall * 100:.2f} % (threshold {options['oos_threshold']})")
            self.stdout.write(f"in-scope acc.: {(result.in_scope_accuracy or 0) * 100:.2f} %")
        if options["per_class"]:
            self.stdout.write(f"{'label':<40} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>7}")
            for row in result.per_class:
                self.stdout.write(f"{row['label']:<40} {row['precision']:>9.3f} {row['recall']:>7.3f} "
                                  f"{row['f1']:>7.3f} {row['support']:>7}")
