"""Answer quality of the chat bot on a knowledge base nobody tuned on, end to end, on this CPU.

Run one set:
    python -m helpdesk.embedded exec -- python bench/answer_quality.py KB_FOLDER QUESTIONS [--dialogues FILE]
        [--backend extractive|transformers|openai] [--model PATH] [--endpoint URL]
Run the three sets and the cross-set table (the decision learnt on each set, measured on the other two):
    python -m helpdesk.embedded exec -- python bench/answer_quality.py --all

A set is a folder of Markdown articles (imported through the product's importer, ``kb.importing.import_folder``,
into a fresh tenant with default settings, then indexed as the product indexes) and labelled messages:
``questions.jsonl`` / ``dialogues.jsonl`` as in ../shared/data/*/README.md, or a CSV like kb/demo/eval.csv
(question, article = "category/slug|...", kind; "oos" rows are out of the KB). Every message goes through the chat
worker's code path: a conversation is started, the customer's message is posted (``chat.services``) and the AI
task's service (``ai.services.chat.chat_answer``) answers it; a dialogue's turns are posted one after the other
into one conversation, so the bot's earlier replies are its history. The figures are read back from the traces.

Scoring (automatic, so approximate where the data says "by human or model judgement"):
- answered correct: the bot answered and its first citation is one of the message's articles;
- a fact is covered when at least 60 % of its content terms (English stems; for Chinese, character bigrams) are in
  the reply;
- wrong: answered with a first citation outside the message's articles, or an out-of-KB message answered;
- suggested right: articles offered ("These may help") include one of the message's articles;
- human requests and must_handoff messages: handed off; a dialogue's last turn: answered correctly (answerable),
  not answered (out of KB), handed off (human request).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _django import ROOT, percentile, setup

SHARED = ROOT.parent / "shared" / "data"
SETS = {
    "demo": (ROOT / "kb" / "demo" / "articles", ROOT / "kb" / "demo" / "eval.csv", None),
    # The Chinese demo tenant's shop (written for the demo, never tuned on): a second set nobody fitted anything to.
    "demo_zh": (ROOT / "kb" / "demo_zh" / "articles", ROOT / "kb" / "demo_zh" / "eval.csv", None),
    "brightwave": (SHARED / "brightwave" / "kb", SHARED / "brightwave" / "questions.jsonl",
                   SHARED / "brightwave" / "dialogues.jsonl"),
    "qinghe": (SHARED / "qinghe" / "kb", SHARED / "qinghe" / "questions.jsonl", SHARED / "qinghe" / "dialogues.jsonl"),
}
FACT_SUPPORT = 0.6
PRE_CHECKS = {"asked_for_human", "human_only_category", "urgent", "negative_sentiment"}


@dataclass
class Item:
    id: str
    kind: str  # answerable, out_of_kb, human_request, angry
    turns: list[str]
    articles: list[str] = field(default_factory=list)  # slugs
    facts: list[str] = field(default_factory=list)
    must_handoff: bool = False
    dialogue: bool = False


@dataclass
class Record:
    item: Item
    action: str
    reason: str
    text: str
    cited: list[str]
    hits: list[str]
    draft_cited: list[str]
    evidence: dict[str, float]
    confidence: float
    latency_ms: float


def load_items(questions: Path, dialogues: Path | None) -> list[Item]:
    items: list[Item] = []
    if questions.suffix == ".csv":
        with questions.open(encoding="utf-8", newline="") as handle:
            for n, row in enumerate(csv.DictReader(handle)):
                slugs = [a.split("/")[-1] for a in row["article"].split("|") if a]
                items.append(Item(id=f"q{n:03d}", kind="out_of_kb" if row["kind"] == "oos" or not slugs
                                  else "answerable", turns=[row["question"]], articles=slugs))
    else:
        for line in questions.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append(Item(id=row["id"], kind=row["kind"], turns=[row["text"]], articles=row.get("articles", []),
                                  facts=row.get("answer_facts", []), must_handoff=bool(row.get("must_handoff"))))
    if dialogues is not None:
        for line in dialogues.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append(Item(id=row["id"], kind=row["final_kind"], turns=[t["customer"] for t in row["turns"]],
                                  articles=row.get("articles", []), facts=row.get("answer_facts", []), dialogue=True))
    return items


def _slug(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def run_set(name: str, kb: Path, questions: Path, dialogues: Path | None, backend: str, model: str,
            endpoint: str) -> list[Record]:
    from django.conf import settings

    from ai.models import Trace
    from ai.services.chat import chat_answer
    from ai.services.settings import settings_update
    from chat import services as chat_services
    from kb.importing import import_folder
    from tenants.models import Tenant
    from tenants.rls import tenant_context

    items = load_items(questions, dialogues)
    tenant = Tenant.objects.create(slug=f"aq-{name[:20]}-{uuid.uuid4().hex[:6]}", name=f"Answer quality {name}")
    started = time.monotonic()
    with tenant_context(tenant.id):
        report = import_folder(tenant=tenant, author=None, root=kb, publish=True, index="sync")
        if backend != "extractive":
            if endpoint:  # the operator's own server (a tenant's endpoint would have to be a public address)
                settings.AI_OPENAI_BASE_URL = endpoint
            settings_update(tenant=tenant, actor=None, backend=backend, model=model)
    print(f"[{name}] imported {report.created} articles ({report.chunks} chunks) in {time.monotonic() - started:.0f} s;"
          f" {len(items)} messages", file=sys.stderr)
    records: list[Record] = []
    for n, item in enumerate(items, start=1):
        with tenant_context(tenant.id):
            conversation = chat_services.chat_start(tenant=tenant, name="Bench customer",
                                                    email="customer@bench.example").conversation
        trace = None
        for turn_index, turn in enumerate(item.turns):
            with tenant_context(tenant.id):
                message = chat_services.post_customer_message(tenant=tenant, conversation=conversation, text=turn,
                                                              client_msg_id=f"{item.id}-{turn_index}")
            t0 = time.perf_counter()
            with tenant_context(tenant.id):
                chat_answer(tenant=tenant, message_id=message.id)
                trace = Trace.objects.for_tenant(tenant).get(kind=Trace.Kind.CHAT_ANSWER, source_id=message.id)
            latency = (time.perf_counter() - t0) * 1000
        assert trace is not None
        details: dict[str, Any] = trace.details
        records.append(Record(
            item=item, action=trace.decision, reason=trace.reason, text=trace.output_text,
            cited=[_slug(c["url"]) for c in trace.citations], hits=[_slug(h["url"]) for h in trace.hits],
            draft_cited=[_slug(c["url"]) for c in details.get("draft_citations", [])],
            evidence=details.get("evidence", {}), confidence=float(details.get("confidence", 0.0)),
            latency_ms=latency,
        ))
        if n % 25 == 0:
            print(f"[{name}] {n}/{len(items)}", file=sys.stderr)
    return records


def fact_covered(fact: str, reply: str) -> bool:
    from ai.backends.text import bigrams, has_cjk, terms

    if has_cjk(fact):
        wanted, found = bigrams(fact), bigrams(reply)
    else:
        wanted, found = terms(fact), terms(reply)
    return not wanted or len(wanted & found) / len(wanted) >= FACT_SUPPORT


def _share(part: int, whole: int) -> str:
    return f"{part / whole:6.1%} ({part}/{whole})" if whole else "     – (0/0)"


def score(records: list[Record]) -> dict[str, Any]:
    single = [r for r in records if not r.item.dialogue]
    answerable = [r for r in single if r.item.kind == "answerable"]
    ook = [r for r in single if r.item.kind == "out_of_kb"]
    humans = [r for r in single if r.item.kind == "human_request"]
    must = [r for r in single if r.item.kind == "angry" and r.item.must_handoff]
    answered = [r for r in single if r.action == "answer"]
    right = [r for r in answerable if r.action == "answer" and r.cited and r.cited[0] in r.item.articles]
    wrong = [r for r in answered if r.item.kind == "out_of_kb"
             or (r.item.articles and (not r.cited or r.cited[0] not in r.item.articles))]
    with_facts = [r for r in answerable if r.action == "answer" and r.item.facts]
    facts_total = sum(len(r.item.facts) for r in with_facts)
    facts_hit = sum(fact_covered(f, r.text) for r in with_facts for f in r.item.facts)
    suggested = [r for r in single if r.action == "suggest" and r.item.articles]
    suggested_right = [r for r in suggested if set(r.cited) & set(r.item.articles)]
    dialogues = [r for r in records if r.item.dialogue]
    dialogue_ok = [r for r in dialogues if _dialogue_correct(r)]
    recall1 = [r for r in answerable if r.hits[:1] and r.hits[0] in r.item.articles]
    recall5 = [r for r in answerable if set(r.hits[:5]) & set(r.item.articles)]
    latencies = [r.latency_ms for r in records]
    return {
        "answerable answered, correct 1st citation": _share(len(right), len(answerable)),
        "answer facts covered (of answered)": _share(facts_hit, facts_total),
        "wrong among answered": _share(len(wrong), len(answered)),
        "out-of-KB answered (invented)": _share(sum(r.action == "answer" for r in ook), len(ook)),
        "suggestions offered (answerable)": _share(sum(r.action == "suggest" for r in answerable), len(answerable)),
        "right article among suggestions": _share(len(suggested_right), len(suggested)),
        "human requests handed off": _share(sum(r.action == "handoff" for r in humans), len(humans)),
        "must_handoff handed off": _share(sum(r.action == "handoff" for r in must), len(must)),
        "dialogues: last turn correct": _share(len(dialogue_ok), len(dialogues)),
        "retrieval recall@1": _share(len(recall1), len(answerable)),
        "retrieval recall@5": _share(len(recall5), len(answerable)),
        "latency p50 / p95 (ms)": f"{percentile(latencies, 50):.0f} / {percentile(latencies, 95):.0f}"
        if latencies else "–",
    }


def _dialogue_correct(r: Record) -> bool:
    if r.item.kind == "answerable":
        return r.action == "answer" and bool(r.cited) and r.cited[0] in r.item.articles
    if r.item.kind == "out_of_kb":
        return r.action != "answer"
    return r.action == "handoff"


def print_scores(title: str, table: dict[str, dict[str, Any]]) -> None:
    names = list(table)
    print(f"\n{title}")
    print(f"{'':44}" + "".join(f"{n:>20}" for n in names))
    for key in next(iter(table.values())):
        print(f"{key:44}" + "".join(f"{table[n][key]:>20}" for n in names))


def redecide(records: list[Record], calibration: Any) -> list[Record]:
    """The records as the decision with ``calibration`` would have decided them (the reader's draft is kept)."""
    from ai.decision import probability

    out = []
    for r in records:
        if r.reason in PRE_CHECKS or not r.evidence:
            out.append(r)
            continue
        p = probability(r.evidence, calibration)
        if p >= calibration.answer_at:
            action, cited = "answer", r.draft_cited
        elif p >= calibration.suggest_at:
            action, cited = "suggest", r.hits[:3]
        else:
            action, cited = "handoff", []
        out.append(Record(**{**asdict(r), "item": r.item, "action": action, "cited": cited,
                             "text": r.text if action == "answer" and r.text else ""}))
    return out


def fit_rows(records: list[Record]) -> tuple[list[tuple[dict[str, float], bool]], list[bool | None]]:
    rows: list[tuple[dict[str, float], bool]] = []
    suggested_right: list[bool | None] = []
    for r in records:
        if r.reason in PRE_CHECKS or not r.evidence or r.item.kind not in ("answerable", "out_of_kb"):
            continue
        right = r.item.kind == "answerable" and bool(r.draft_cited) and r.draft_cited[0] in r.item.articles
        rows.append((r.evidence, right))
        suggested_right.append(bool(set(r.hits[:3]) & set(r.item.articles)) if r.item.articles else None)
    return rows, suggested_right


def cross_table(results: dict[str, list[Record]]) -> None:
    from ai.decision import fit

    keys = ["answerable answered, correct 1st citation", "wrong among answered", "out-of-KB answered (invented)",
            "right article among suggestions", "dialogues: last turn correct"]
    print("\nCross-set: the decision learnt on one set (rows), measured on each set (columns)")
    for key in keys:
        print(f"\n  {key}")
        print(f"  {'learnt on':14}" + "".join(f"{n:>20}" for n in results))
        for learnt in results:
            rows, suggested = fit_rows(results[learnt])
            calibration = fit(rows, learnt_on=learnt, suggested_right=suggested)
            cells = []
            for measured, records in results.items():
                value = score(redecide(records, calibration))[key]
                cells.append(f"{value}{'*' if measured == learnt else ' '}")
            print(f"  {learnt:14}" + "".join(f"{c:>20}" for c in cells))
    print("\n  * measured on the set it was learnt on: does not count")
    for learnt in results:
        rows, suggested = fit_rows(results[learnt])
        c = fit(rows, learnt_on=learnt, suggested_right=suggested)
        print(f"  learnt on {learnt}: weights {dict(c.weights)}, bias {c.bias}, answer_at {c.answer_at}, "
              f"suggest_at {c.suggest_at}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kb", nargs="?", type=Path)
    parser.add_argument("questions", nargs="?", type=Path)
    parser.add_argument("--dialogues", type=Path)
    parser.add_argument("--all", action="store_true",
                        help="run kb/demo, kb/demo_zh, brightwave and qinghe, and the cross table")
    parser.add_argument("--sets", default="demo,demo_zh,brightwave,qinghe", help="with --all: which sets")
    parser.add_argument("--backend", default="extractive")
    parser.add_argument("--model", default="")
    parser.add_argument("--endpoint", default="")
    parser.add_argument("--dump", type=Path, help="write every record to this JSON file")
    parser.add_argument("--load", type=Path, help="score records written by --dump instead of running")
    args = parser.parse_args()
    if not args.all and not args.load and (args.kb is None or args.questions is None):
        parser.error("give KB_FOLDER and QUESTIONS, or --all")
    setup()
    results: dict[str, list[Record]] = {}
    if args.load:
        raw = json.loads(args.load.read_text(encoding="utf-8"))
        results = {name: [Record(**{**r, "item": Item(**r["item"])}) for r in rows] for name, rows in raw.items()}
    elif args.all:
        for name in args.sets.split(","):
            kb, questions, dialogues = SETS[name]
            results[name] = run_set(name, kb, questions, dialogues, args.backend, args.model, args.endpoint)
    else:
        results[args.kb.parent.name if args.kb.name == "kb" else args.kb.name] = run_set(
            args.kb.name, args.kb, args.questions, args.dialogues, args.backend, args.model, args.endpoint)
    if args.dump:
        args.dump.write_text(json.dumps({n: [asdict(r) for r in rs] for n, rs in results.items()},
                                        ensure_ascii=False), encoding="utf-8")
    print_scores(f"Answer quality (backend {args.backend}, default settings, this CPU)",
                 {name: score(records) for name, records in results.items()})
    if len(results) > 1:
        cross_table(results)


if __name__ == "__main__":
    main()
