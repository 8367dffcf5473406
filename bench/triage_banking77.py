"""Triage accuracy on banking77 through the generic management commands; prints the figures.

Run: python -m helpdesk.embedded exec -- python bench/triage_banking77.py
Full training set, then 10 examples per intent (mean of 3 seeds), next to published results:
93.66 % (fine-tuned BERT, full) and 85.19 % (USE+ConveRT, 10-shot) from Casanueva et al. 2020.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared/data/banking77 next to the checkout; a worktree one level deeper looks further up.
_RELATIVE = Path("shared") / "data" / "banking77"
DATA = next((p / _RELATIVE for p in ROOT.parents if (p / _RELATIVE).is_dir()), ROOT.parent / _RELATIVE)
SEEDS = (0, 1, 2)
SHOTS = 10


def run(test: Path, train: Path, **options: object) -> dict[str, float]:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("evaluate_classifier", str(test), train=str(train), json=True, stdout=out, **options)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def sample(rows: list[dict[str, str]], seed: int, path: Path) -> None:
    by_label: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_label[row["category"]].append(row["text"])
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for label in sorted(by_label):
            for text in rng.sample(by_label[label], SHOTS):
                writer.writerow([text, label])


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    train, test = DATA / "train.csv", DATA / "test.csv"
    rows = list(csv.DictReader(train.open(encoding="utf-8")))
    features = os.environ.get("BENCH_FEATURES", "embedding+tfidf")
    print(f"banking77: {len(rows)} training texts, features {features}, {os.cpu_count()} CPUs")
    started = time.monotonic()
    full = run(test, train, features=features)
    print(f"full training set: accuracy {full['accuracy'] * 100:.2f} %  macro-F1 {full['macro_f1'] * 100:.2f} %  "
          f"({time.monotonic() - started:.0f} s including embedding)")
    shots = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in SEEDS:
            path = Path(folder) / f"train_{seed}.csv"
            sample(rows, seed, path)
            started = time.monotonic()
            result = run(test, path, features=features, no_progress=True)
            shots.append(result["accuracy"])
            print(f"{SHOTS}-shot seed {seed}: accuracy {result['accuracy'] * 100:.2f} %  "
                  f"({time.monotonic() - started:.0f} s)")
    mean = sum(shots) / len(shots)
    print()
    print(f"{'setting':<28} {'ours':>8} {'published':>10}")
    print(f"{'full training set':<28} {full['accuracy'] * 100:>7.2f}% {'93.66% (BERT fine-tuned)':>10}")
    print(f"{f'{SHOTS} per intent, 3 seeds':<28} {mean * 100:>7.2f}% {'85.19% (USE+ConveRT)':>10}")


if __name__ == "__main__":
    main()
