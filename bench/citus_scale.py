"""One PostgreSQL node versus a Citus cluster (a coordinator and 2 workers), at 1,000,000 KB chunks over 100 tenants:
vector and hybrid search latency, ticket list latency and chat message insert throughput, both set up in one run.

Run it directly (not under helpdesk.embedded exec: it starts both setups itself, in a temporary folder):

    HF_HUB_OFFLINE=1 .venv/bin/python bench/citus_scale.py [--chunks 1000000 --tenants 100 --rounds 3]
        [--queries 200 --seconds 10 --posters 4 --data DIR]

A smoke run: --tenants 10 --chunks 20000 --rounds 2 --queries 100 --seconds 5. With --data DIR the two setups are
kept in DIR, and a later run with the same --tenants and --chunks measures them again without loading.

The data is SYNTHETIC, the same rows in both setups (one seed): as in bench/search_latency.py, unit vectors drawn
around 2,000 random centres (384 dimensions) with texts of 40 random words from a 3,000-word vocabulary, spread
evenly over the tenants (and over 100 published articles per tenant at full size); per tenant 200 tickets (one
customer each, random status and priority) and 20 chat conversations (one visitor each). Chunks are COPY'd through
the owner connection into a staging table and moved into kb_chunk by INSERT ... SELECT, which computes
search_vector as the indexing service does (heading weighted A, text B); the HNSW and GIN indexes are dropped
before and rebuilt after loading, from the definitions migrate created. On the cluster every statement goes
through the coordinator, which sends each tenant's rows to its shard (8 shards, 4 per worker) and each CREATE INDEX
to every shard; maintenance_work_mem is set on the workers for the build (Citus does not pass a SET on).

What is measured, in a fresh process per round and setup, as the application role (row-level security in force),
each sample timing a whole tenant_context block (BEGIN, SET LOCAL of the tenant, the statements, COMMIT):
- vector search: kb.search.search(mode="vector") with the query vector given (no embedding model runs); queries are
  points near a random chunk of a random tenant; the snippet statement (ts_headline) is part of it;
- hybrid search: the same with mode="hybrid" (HNSW and full-text candidates fused by RRF), the query text being
  3 words of the vocabulary;
- ticket list: the first page (25 rows) of tickets.selectors.ticket_list (view "all", newest first);
- chat insert: --posters threads, each with its own connection, call chat.services.post_customer_message for random
  conversations across tenants, outside a transaction as the chat socket does (one chat_message_post statement,
  which the cluster runs on the tenant's worker), for --seconds; throughput = messages posted / seconds. The
  WebSocket broadcast is collected, not sent (helpdesk.realtime.deferred_publishes, as the socket defers it), and
  the AI receiver is disconnected: it would queue a bot answer per message for a worker that is not running.
Rounds alternate single node, cluster, single node, cluster, ... because the machine is shared. Latency figures are
percentiles of all rounds' samples pooled; the spread in brackets is the min-max of the same statistic per round
(for throughput: of the per-round rates).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import logging
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from _django import percentile, setup, tenant

DIM = 384
CENTRES = 2000
WORDS = [f"w{i}" for i in range(3000)]
TEXT_WORDS = 40
QUERY_WORDS = 3
SEED = 7
PAGE = 25
SETUPS = {"single": 0, "cluster": 2}  # name -> Citus workers
LABELS = {"single": "single node", "cluster": "Citus 2 workers"}
REBUILT_INDEXES = ("kb_chunk_embedding_hnsw", "kb_chunk_search_gin")
ANALYZED = ("kb_chunk", "kb_article", "kb_articlerevision", "tickets_ticket", "tickets_customer", "chat_visitor",
            "chat_conversation", "chat_chatmessage")
STAGE_COLUMNS = ("tenant_id bigint, article_id bigint, revision_id bigint, ordinal integer, heading varchar(500), "
                 "text text, embedding vector(384), embedding_model varchar(200), created_at timestamptz")
STAGE_TYPES = ["int8", "int8", "int8", "int4", "varchar", "text", "vector", "varchar", "timestamptz"]
# search_vector as kb.indexing.search_vector_expression makes it for Latin-script text (heading A, text B).
STAGE_MOVE = (
    "INSERT INTO kb_chunk (tenant_id, article_id, revision_id, ordinal, heading, text, embedding, embedding_model, "
    "search_vector, unit_texts, unit_vectors, created_at) "
    "SELECT tenant_id, article_id, revision_id, ordinal, heading, text, embedding, embedding_model, "
    "setweight(to_tsvector('english', heading), 'A') || setweight(to_tsvector('english', text), 'B'), '{}', '', "
    "created_at FROM bench_stage"
)


def log(message: str) -> None:
    # stdout of a child carries its JSON result only; everything for the reader goes to stderr.
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Child: load one setup


def tenant_rows(t: int, per_tenant: int, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tenant ``t``'s chunk vectors and word indexes: one generator per tenant, so both setups get the same rows."""
    rng = np.random.default_rng([SEED, t])
    picks = rng.integers(0, len(centres), size=per_tenant)
    vectors = centres[picks] + rng.normal(scale=0.6, size=(per_tenant, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, rng.integers(0, len(WORDS), size=(per_tenant, TEXT_WORDS))


def connect_owner(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


@contextlib.contextmanager
def build_progress(urls: list[str], total: int, label: str) -> Iterator[dict[str, int]]:
    """A progress bar for CREATE INDEX, read from pg_stat_progress_create_index of the nodes that build it (the
    workers on a cluster), and the most builds seen running at once."""
    from tqdm import tqdm

    seen = {"concurrent": 0}
    stop = threading.Event()

    def poll() -> None:
        connections = [connect_owner(url) for url in urls]
        try:
            with tqdm(total=total, desc=label, unit="row", file=sys.stderr) as bar:
                while not stop.wait(1.0):
                    done = running = 0
                    for conn in connections:
                        row = conn.execute("SELECT count(*), coalesce(sum(tuples_done), 0) "
                                           "FROM pg_stat_progress_create_index").fetchone()
                        running, done = running + row[0], done + int(row[1])
                    seen["concurrent"] = max(seen["concurrent"], running)
                    bar.update(max(0, min(done, total) - bar.n))
        finally:
            for conn in connections:
                conn.close()

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def child_load(args: argparse.Namespace) -> dict[str, Any]:
    phases: dict[str, float] = {}
    # One INFO line per distributed table would bury the progress bars.
    logging.getLogger("tenants.distribution").setLevel(logging.WARNING)
    start = time.perf_counter()
    setup()
    phases["migrate"] = time.perf_counter() - start
    from django.db import connections
    from django.utils import timezone
    from pgvector.psycopg import register_vector
    from tqdm import tqdm

    from chat.models import Conversation, Visitor
    from kb.indexing import current_model
    from kb.models import Article, ArticleRevision
    from tenants.rls import tenant_context
    from tickets.models import Customer, Priority, Status, Ticket

    owner_url = os.environ["DATABASE_OWNER_URL"]
    worker_urls = os.environ.get("CLUSTER_WORKER_URLS", "").split()
    model = current_model()
    per_tenant = args.chunks // args.tenants
    articles_per_tenant = max(1, min(100, per_tenant // 100))
    centres = np.random.default_rng(SEED).normal(size=(CENTRES, DIM)).astype(np.float32)
    per_tenant_queries = math.ceil(args.queries / args.tenants)
    queries: list[dict[str, Any]] = []

    raw = connect_owner(owner_url)
    register_vector(raw)
    definitions = dict(raw.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'kb_chunk' "
                                   "AND indexname = ANY(%s)", [list(REBUILT_INDEXES)]).fetchall())
    for name in definitions:
        raw.execute(f"DROP INDEX {name}")  # type: ignore[arg-type]
    # Session-local on the coordinator; INSERT ... SELECT from it sends each row to its tenant's shard.
    raw.execute(f"CREATE TEMP TABLE bench_stage ({STAGE_COLUMNS})")  # type: ignore[arg-type]

    start = time.perf_counter()
    with tqdm(total=per_tenant * args.tenants, desc=f"{args.setup}: chunks", unit="row", unit_scale=True,
              file=sys.stderr) as bar:
        for t in range(args.tenants):
            bench = tenant(f"bench-{t:03d}")
            now = timezone.now()
            with tenant_context(bench.id):
                articles = Article.objects.bulk_create([
                    Article(tenant=bench, title=f"Article {a}", slug=f"article-{a}", status="published",
                            published_at=now) for a in range(articles_per_tenant)])
                revisions = ArticleRevision.objects.bulk_create([
                    ArticleRevision(tenant=bench, article=a, number=1, title=a.title) for a in articles])
                customers = Customer.objects.bulk_create([
                    Customer(tenant=bench, email=f"customer{c}@bench-{t:03d}.test", name=f"Customer {c}")
                    for c in range(args.tickets)])
                rng = random.Random(t)
                Ticket.objects.bulk_create([
                    Ticket(tenant=bench, number=n + 1, requester=customer,
                           subject=" ".join(rng.choices(WORDS, k=6)), status=rng.choice(Status.values),
                           priority=rng.choice(Priority.values), created_at=now, updated_at=now)
                    for n, customer in enumerate(customers)])
                visitors = Visitor.objects.bulk_create([
                    Visitor(tenant=bench, key=f"{t:04x}{v:028x}", name=f"Visitor {v}")
                    for v in range(args.conversations)])
                Conversation.objects.bulk_create([Conversation(tenant=bench, visitor=v) for v in visitors])

            vectors, words = tenant_rows(t, per_tenant, centres)
            with raw.transaction():
                with raw.cursor() as cursor:
                    with cursor.copy("COPY bench_stage FROM STDIN (FORMAT BINARY)") as copy:
                        copy.set_types(STAGE_TYPES)
                        for i in range(per_tenant):
                            a = i % articles_per_tenant
                            copy.write_row((bench.id, articles[a].id, revisions[a].id, i // articles_per_tenant,
                                            f"Article {a} > s{i}", " ".join(WORDS[w] for w in words[i]),
                                            vectors[i], model, now))
                    cursor.execute(STAGE_MOVE)
                    cursor.execute("TRUNCATE bench_stage")

            rng_q = np.random.default_rng([SEED, t, 1])
            for i in rng_q.integers(0, per_tenant, size=per_tenant_queries):
                q = vectors[i] + rng_q.normal(scale=0.03, size=DIM).astype(np.float32)
                q /= np.linalg.norm(q)
                queries.append({"tenant": bench.slug, "vector": [round(float(x), 6) for x in q],
                                "words": " ".join(WORDS[w] for w in rng_q.integers(0, len(WORDS), size=QUERY_WORDS))})
            bar.update(per_tenant)
    phases["load"] = time.perf_counter() - start
    connections.close_all()

    notices: list[str] = []
    raw.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    workers = [connect_owner(url) for url in worker_urls]
    # Citus passes no SET on to the shards it builds: the workers' own settings are changed for the build. Each
    # worker builds its shards' indexes at once (one connection per shard), which keeps its cores busy without
    # parallel maintenance workers; the single node gets those instead.
    build_settings = {"maintenance_work_mem": args.maintenance_work_mem, "max_parallel_maintenance_workers": "0"}
    for conn in workers:
        for name, value in build_settings.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")  # type: ignore[arg-type]
        conn.execute("SELECT pg_reload_conf()")
    raw.execute(f"SET maintenance_work_mem = '{args.maintenance_work_mem}'")  # type: ignore[arg-type]
    raw.execute(f"SET max_parallel_maintenance_workers = {max(0, (os.cpu_count() or 2) - 1)}")  # type: ignore[arg-type]
    concurrent = 0
    try:
        for name in REBUILT_INDEXES:
            if name not in definitions:
                continue
            start = time.perf_counter()
            with build_progress(worker_urls or [owner_url], per_tenant * args.tenants, f"{args.setup}: {name}") as seen:
                raw.execute(definitions[name])
            concurrent = max(concurrent, seen["concurrent"])
            phases[f"index {name}"] = time.perf_counter() - start
    finally:
        for conn in workers:
            for name in build_settings:
                conn.execute(f"ALTER SYSTEM RESET {name}")  # type: ignore[arg-type]
            conn.execute("SELECT pg_reload_conf()")
            conn.close()
    for notice in notices:
        log(f"{args.setup}: NOTICE {notice}")
    start = time.perf_counter()
    raw.execute(f"VACUUM ANALYZE {', '.join(ANALYZED)}")  # type: ignore[arg-type]
    phases["vacuum analyze"] = time.perf_counter() - start

    placement: dict[str, float] = {}
    if worker_urls:
        for node, size in raw.execute("SELECT nodename, sum(shard_size) FROM citus_shards "
                                      "WHERE table_name = 'kb_chunk'::regclass GROUP BY 1 ORDER BY 1").fetchall():
            placement[node.rsplit("/", 1)[-1]] = round(int(size) / 2**20, 1)
    raw.close()
    if args.queries_out:
        random.Random(SEED).shuffle(queries)
        Path(args.queries_out).write_text(json.dumps({"model": model, "queries": queries[:args.queries]}))
    return {"phases": phases, "rows": per_tenant * args.tenants, "build_concurrency": concurrent,
            "kb_chunk_mib_per_worker": placement}


# ---------------------------------------------------------------------------------------------------------------
# Child: one measurement round on one setup


def child_measure(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, connections

    from ai import receivers  # noqa: F401 (connected already; imported so that disconnecting is certain to act)
    from chat import events
    from chat.models import Conversation
    from chat.services.messages import post_customer_message
    from helpdesk.realtime import deferred_publishes
    from kb.search import search
    from tenants.models import Tenant
    from tenants.rls import tenant_context
    from tickets.selectors import ticket_list

    spec = json.loads(Path(args.queries_file).read_text())
    model, queries = spec["model"], spec["queries"]
    tenants = {t.slug: t for t in Tenant.objects.filter(slug__startswith="bench-")}

    def timed(run: Callable[[Tenant, dict[str, Any]], object], items: list[dict[str, Any]]) -> list[float]:
        for item in items[:20]:  # warms the caches and the connection
            with tenant_context(tenants[item["tenant"]].id):
                run(tenants[item["tenant"]], item)
        latencies = []
        for item in items:
            bench = tenants[item["tenant"]]
            started = time.perf_counter()
            with tenant_context(bench.id):
                run(bench, item)
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    def vector(bench: Tenant, item: dict[str, Any]) -> object:
        return search(tenant=bench, query=item["words"], mode="vector", model=model, query_vector=item["vector"])

    def hybrid(bench: Tenant, item: dict[str, Any]) -> object:
        return search(tenant=bench, query=item["words"], mode="hybrid", model=model, query_vector=item["vector"])

    def tickets(bench: Tenant, item: dict[str, Any]) -> object:
        return list(ticket_list(tenant=bench, user=None)[:PAGE])

    result: dict[str, Any] = {
        "vector": timed(vector, queries),
        "hybrid": timed(hybrid, queries),
        "tickets": timed(tickets, queries),
    }
    found = [len(vector(tenants[q["tenant"]], q)) for q in queries[:1]]  # outside a context: RLS shows nothing
    assert found == [0], "row-level security let a search outside a tenant context see rows"

    events.customer_message_posted.disconnect(dispatch_uid="ai.chat_customer_message_posted")
    by_id = {t.id: t for t in tenants.values()}
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT tenant_id, id FROM chat_conversation WHERE tenant_id = ANY(%s)", [list(by_id)])
        conversations = cursor.fetchall()
    connections["owner"].close()
    counts = [0] * args.posters
    errors: list[BaseException] = []
    begun: list[float] = []
    barrier = threading.Barrier(args.posters, action=lambda: begun.append(time.perf_counter()))

    def poster(k: int) -> None:
        rng = random.Random(f"{args.round}-{k}")
        posted = 0
        try:
            connection.ensure_connection()
            barrier.wait()
            deadline = begun[0] + args.seconds
            while time.perf_counter() < deadline:
                tenant_id, conversation_id = rng.choice(conversations)
                with deferred_publishes():
                    post_customer_message(
                        tenant=by_id[tenant_id], conversation=Conversation(id=conversation_id, tenant_id=tenant_id),
                        text=" ".join(rng.choices(WORDS, k=12)), client_msg_id=f"r{args.round}-p{k}-{posted}")
                posted += 1
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            counts[k] = posted
            connection.close()

    threads = [threading.Thread(target=poster, args=(k,)) for k in range(args.posters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    result["chat_per_s"] = sum(counts) / args.seconds
    return result


# ---------------------------------------------------------------------------------------------------------------
# Orchestrator


def run_child(kind: str, env: dict[str, str], extra: list[str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *extra]
    done = subprocess.run(command, env={**os.environ, **env}, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {kind} child failed ({done.returncode}): {' '.join(command)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(rounds: list[dict[str, Any]], key: str, q: float) -> tuple[float, float, float]:
    """(pooled percentile, min and max of the per-round percentiles)."""
    per_round = [percentile(r[key], q) for r in rounds]
    return percentile([x for r in rounds for x in r[key]], q), min(per_round), max(per_round)


def print_table(results: dict[str, list[dict[str, Any]]]) -> None:
    rows: list[tuple[str, Callable[[list[dict[str, Any]]], tuple[float, float, float]], str]] = [
        ("vector search p50 (ms)", lambda r: summary(r, "vector", 50), "{:.2f}"),
        ("vector search p99 (ms)", lambda r: summary(r, "vector", 99), "{:.2f}"),
        ("hybrid search p50 (ms)", lambda r: summary(r, "hybrid", 50), "{:.2f}"),
        ("hybrid search p99 (ms)", lambda r: summary(r, "hybrid", 99), "{:.2f}"),
        ("ticket list p50 (ms)", lambda r: summary(r, "tickets", 50), "{:.2f}"),
        ("chat insert (messages/s)", lambda r: (float(np.mean([x["chat_per_s"] for x in r])),
                                                min(x["chat_per_s"] for x in r), max(x["chat_per_s"] for x in r)),
         "{:.0f}"),
    ]
    width = 28
    print(f"{'':<26}" + "".join(f"{LABELS[name]:>{width}}" for name in results))
    for label, compute, fmt in rows:
        cells = []
        for name in results:
            value, low, high = compute(results[name])
            cells.append(f"{fmt.format(value)} ({fmt.format(low)}-{fmt.format(high)})".rjust(width))
        print(f"{label:<26}" + "".join(cells))
    print("(in brackets: min-max of the per-round figure; chat insert: mean of the rounds)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--tickets", type=int, default=200, help="tickets per tenant")
    parser.add_argument("--conversations", type=int, default=20, help="chat conversations per tenant")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200, help="samples per latency figure and round")
    parser.add_argument("--seconds", type=float, default=10.0, help="chat insert time per round")
    parser.add_argument("--posters", type=int, default=4, help="concurrent chat posters")
    parser.add_argument("--maintenance-work-mem", default="3GB",
                        help="for the index builds (HNSW at 1M x 384 dimensions needs about 2.5 GB in memory)")
    parser.add_argument("--data", type=Path, help="keep both setups here and reuse them when already loaded")
    parser.add_argument("--child", choices=["load", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--setup", default="", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", default="", help=argparse.SUPPRESS)
    parser.add_argument("--queries-out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child_load(args) if args.child == "load" else child_measure(args)
        print(json.dumps(result))
        return

    from helpdesk.embedded import Embedded

    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL", "CLUSTER_WORKER_URLS"):
        # Embedded starts only what the environment does not name already; both setups must be started here.
        os.environ.pop(name, None)
    temporary = args.data is None
    base = Path(tempfile.mkdtemp(prefix="citus-scale-")) if temporary else args.data.resolve()
    base.mkdir(parents=True, exist_ok=True)
    queries_file = base / "queries.json"
    sizes = ["--tenants", str(args.tenants), "--chunks", str(args.chunks)]
    setups = {name: Embedded(base / name, workers=workers) for name, workers in SETUPS.items()}
    for embedded in setups.values():
        atexit.register(embedded.stop)
    phases: dict[str, dict[str, float]] = {name: {} for name in setups}
    loads: dict[str, dict[str, Any]] = {}
    envs: dict[str, dict[str, str]] = {}
    try:
        for name, embedded in setups.items():
            log(f"==> {LABELS[name]}: starting")
            start = time.perf_counter()
            envs[name] = dict(embedded.start())
            phases[name]["start"] = time.perf_counter() - start
        for name in setups:
            marker = base / name / "loaded.json"
            if marker.exists() and json.loads(marker.read_text()).get("sizes") == sizes and queries_file.exists():
                log(f"==> {LABELS[name]}: already loaded in {base / name}")
                continue
            log(f"==> {LABELS[name]}: migrate and load {args.chunks:,} chunks for {args.tenants} tenants")
            extra = [*sizes, "--setup", name, "--queries", str(args.queries), "--tickets", str(args.tickets),
                     "--conversations", str(args.conversations), "--maintenance-work-mem", args.maintenance_work_mem]
            if name == next(iter(setups)):
                extra += ["--queries-out", str(queries_file)]
            loads[name] = run_child("load", envs[name], extra)
            phases[name].update(loads[name]["phases"])
            if not temporary:
                marker.write_text(json.dumps({"sizes": sizes, **loads[name]}))
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in setups}
        for r in range(args.rounds):
            for name in setups:
                log(f"==> round {r + 1}/{args.rounds}: {LABELS[name]}")
                start = time.perf_counter()
                results[name].append(run_child("measure", envs[name], [
                    "--setup", name, "--round", str(r), "--queries-file", str(queries_file),
                    "--seconds", str(args.seconds), "--posters", str(args.posters)]))
                phases[name]["measure (all rounds)"] = (phases[name].get("measure (all rounds)", 0.0)
                                                        + time.perf_counter() - start)
    finally:
        for embedded in setups.values():
            embedded.stop()
        if temporary:
            shutil.rmtree(base, ignore_errors=True)

    print()
    print(f"{args.chunks:,} chunks over {args.tenants} tenants ({args.chunks // args.tenants:,} each), "
          f"{args.tickets} tickets and {args.conversations} conversations per tenant; {args.rounds} rounds of "
          f"{args.queries} queries per figure and {args.seconds:g} s of chat insert with {args.posters} posters")
    print_table(results)
    print()
    print("phases (s):")
    for name, timings in phases.items():
        print(f"  {LABELS[name]:<16} " + ", ".join(f"{phase} {seconds:.0f}" for phase, seconds in timings.items()))
    for name, load in loads.items():
        if load.get("kb_chunk_mib_per_worker"):
            print(f"  {LABELS[name]}: kb_chunk MiB per worker {load['kb_chunk_mib_per_worker']}, "
                  f"index builds seen at once {load['build_concurrency']}")


if __name__ == "__main__":
    main()
