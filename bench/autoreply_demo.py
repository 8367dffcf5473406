"""Auto-reply quality on the demo evaluation set (kb/demo/eval.csv), with the extractive backend on this CPU.

Run: python -m helpdesk.embedded exec -- python bench/autoreply_demo.py [--floors 0.4,0.45,0.5,0.55,0.6]

Seeds the demo knowledge base into a bench tenant (real indexing), then answers every question through the same
pipeline the chat worker runs (kb hybrid search -> policy -> extractive answer -> guard). Printed per confidence
floor: answered rate on in-scope questions, correct citations among answered (the cited article is one of the
row's articles), wrong answers among answered, and hand-off rate on out-of-scope (kind=oos) questions. Then a
held-out check: a floor tuned on one random half of the set, measured on the other half. Latency
here is the pipeline in-process; the WebSocket figure comes from bench/autoreply_websocket.py.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from typing import Any

from _django import percentile, setup, tenant

Row = tuple[Any, Any, float, "str | None"]  # question, outcome, top confidence, cited article path


def metrics(rows: list[Row], floor: float) -> dict[str, float]:
    """Answered rate (in scope), correct citations among answered, wrong among all answered, OOS hand-off rate."""
    in_scope = [r for r in rows if r[0].kind != "oos"]
    oos = [r for r in rows if r[0].kind == "oos"]
    answered = [r for r in in_scope if r[1].action == "answer" and r[2] >= floor]
    correct = [r for r in answered if r[3] in r[0].articles]
    oos_answered = [r for r in oos if r[1].action == "answer" and r[2] >= floor]
    total_answered = len(answered) + len(oos_answered)
    return {"answered": len(answered) / max(1, len(in_scope)), "correct": len(correct) / max(1, len(answered)),
            "wrong": (len(answered) - len(correct) + len(oos_answered)) / max(1, total_answered),
            "oos_handoff": 1 - len(oos_answered) / max(1, len(oos))}


def held_out(rows: list[Row], folds: int = 2, seeds: int = 5, target: float = 0.05) -> None:
    """The default floor was picked on this same set; this shows what a floor picked on one half does on the other
    half it never saw: per split, the lowest floor (most answers) whose wrong rate on the tuning half is under
    ``target``, measured on the held-out half."""
    candidates = [round(0.40 + 0.01 * i, 2) for i in range(41)]
    results = []
    for seed in range(seeds):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        for fold in range(folds):
            held = shuffled[fold::folds]
            tune = [r for i, r in enumerate(shuffled) if i % folds != fold]
            floor = next((f for f in candidates if metrics(tune, f)["wrong"] < target), candidates[-1])
            results.append((floor, metrics(held, floor)))
    mean = {key: statistics.mean(m[key] for _, m in results) for key in results[0][1]}
    worst = max(m["wrong"] for _, m in results)
    floors = sorted({f for f, _ in results})
    print(f"held out ({seeds} random halvings x {folds} folds; floor tuned for wrong < {target:.0%} on the other "
          f"half, chosen floors {floors[0]:.2f}-{floors[-1]:.2f}): answered {mean['answered']:.1%}, correct "
          f"citations {mean['correct']:.1%}, wrong {mean['wrong']:.1%} (worst fold {worst:.1%}), oos hand-off "
          f"{mean['oos_handoff']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--floors", default="0.5,0.55,0.6,0.62,0.65")
    parser.add_argument("--dump", default="", help="write every question's outcome to this JSON file")
    args = parser.parse_args()
    setup()
    from ai.answering import Options, answer
    from ai.retrieval import kb_search
    from kb.evaluation import load_questions
    from kb.models import Article
    from kb.seed import seed
    from tenants.rls import tenant_context

    bench = tenant("bench-autoreply")
    started = time.monotonic()
    with tenant_context(bench.id):
        seed(tenant=bench, stdout=io.StringIO())
        paths = {a.id: f"{a.category.slug}/{a.slug}" for a in Article.objects.for_tenant(bench).select_related(
            "category")}
    print(f"demo knowledge base seeded and indexed in {time.monotonic() - started:.0f} s")
    questions = load_questions()
    search = kb_search(tenant=bench)
    rows = []
    latencies = []
    answer(text="warm up", history=[], search=search, options=Options(confidence_floor=0.0))
    with tenant_context(bench.id):
        for q in questions:
            t0 = time.perf_counter()
            # Floor 0 so every outcome is computed once; each floor below is then applied to the stored confidence.
            outcome = answer(text=q.text, history=[], search=search, options=Options(confidence_floor=0.0))
            latencies.append((time.perf_counter() - t0) * 1000)
            top = outcome.hits[0]["confidence"] if outcome.hits else 0.0
            cited = paths.get(outcome.citations[0]["article_id"]) if outcome.citations else None
            rows.append((q, outcome, top, cited))
    if args.dump:
        import json

        with open(args.dump, "w", encoding="utf-8") as handle:
            json.dump([{"q": r[0].text, "kind": r[0].kind, "articles": sorted(r[0].articles), "action": r[1].action,
                        "reason": r[1].reason, "cited": r[3], "gen": r[1].generation_score, "text": r[1].text,
                        "hits": [{**h, "path": paths.get(h["article_id"])} for h in r[1].hits]} for r in rows],
                      handle)
    in_scope = [r for r in rows if r[0].kind != "oos"]
    oos = [r for r in rows if r[0].kind == "oos"]
    print(f"{len(in_scope)} in-scope and {len(oos)} out-of-scope questions; pipeline latency "
          f"p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms (in-process)")
    print(f"{'floor':>6} {'answered':>9} {'correct cit.':>13} {'wrong':>7} {'oos hand-off':>13}")
    for floor in [float(f) for f in args.floors.split(",")]:
        m = metrics(rows, floor)
        print(f"{floor:>6.2f} {m['answered']:>8.1%} {m['correct']:>12.1%} {m['wrong']:>6.1%} {m['oos_handoff']:>12.1%}")
    held_out(rows)
    reasons: dict[str, int] = {}
    for r in rows:
        if r[1].action == "handoff":
            reasons[r[1].reason] = reasons.get(r[1].reason, 0) + 1
    print("hand-off reasons at floor 0:", reasons)


if __name__ == "__main__":
    main()
