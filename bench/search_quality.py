"""Recall@1, recall@5 and MRR of vector-only, full-text-only and hybrid search on kb/demo/eval.csv.

Run: python -m helpdesk.embedded exec -- python bench/search_quality.py
Imports and indexes the demo knowledge base into a fresh tenant, then asks every answerable question (rows with
kind paraphrase or keyword; out-of-scope rows have no article to find) in each mode. Same figures as
``manage.py kb_evaluate`` on the seeded demo tenant.
"""

from __future__ import annotations

import time
from collections import Counter

from _django import setup, tenant


def main() -> None:
    setup()
    from kb import importing
    from kb.evaluation import evaluate, format_scores, load_questions
    from kb.seed import DEMO_ROOT
    from tenants.rls import tenant_context

    bench = tenant("bench-quality")
    start = time.perf_counter()
    with tenant_context(bench.id):
        report = importing.import_files(tenant=bench, author=None, files=importing.folder_files(DEMO_ROOT),
                                        publish=True, index="sync")
    print(f"indexed {report.created + report.updated + report.unchanged} articles, {report.chunks} chunks "
          f"in {time.perf_counter() - start:.0f} s")
    questions = load_questions()
    print("questions by kind:", dict(Counter(q.kind for q in questions)))
    for kind in ("all", "paraphrase", "keyword"):
        subset = [q for q in questions if kind == "all" or q.kind == kind]
        with tenant_context(bench.id):
            scores = evaluate(tenant=bench, questions=subset)
        print(f"\n{kind}:")
        print(format_scores(scores))


if __name__ == "__main__":
    main()
