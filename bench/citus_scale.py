"""One PostgreSQL node versus a Citus cluster (a coordinator and 2 workers), at 1,000,000 KB chunks over 100 tenants:
vector and hybrid search latency, ticket list latency and chat message insert throughput, both set up in one run.

Run it directly (not under helpdesk.embedded exec: it starts both setups itself, in a temporary folder):

    HF_HUB_OFFLINE=1 .venv/bin/python bench/citus_scale.py [--chunks 1000000 --tenants 100 --rounds 3]
        [--queries 200 --seconds 10 --posters 4 --data DIR]

A smoke run: --tenants 10 --chunks 20000 (3 minutes on 2 busy cores). The full size takes about 5 GB of disk per
setup (in $TMPDIR, or in --data DIR) and is dominated by the two HNSW builds. With --data DIR the two setups are kept
in DIR, and a later run with the same --tenants, --chunks, --tickets and --conversations measures them again
without loading (and with the queries of the first run).

The data is SYNTHETIC, the same rows in both setups (one seed): as in bench/search_latency.py, unit vectors drawn
around 2,000 random centres (384 dimensions) with texts of 40 random words from a 3,000-word vocabulary, spread
evenly over the tenants (and over 100 published articles per tenant at full size); per tenant 200 tickets (one
customer each, random status and priority) and 20 chat conversations (one visitor each). Chunks are COPY'd through
the owner connection into a staging table and moved into kb_chunk by INSERT ... SELECT, which computes
search_vector as the indexing service does (heading weighted A, text B); the HNSW and GIN indexes are dropped
before and rebuilt after loading, from the definitions migrate created. On the cluster every statement goes
through the coordinator, which sends each tenant's rows to its shard (8 shards, 4 per worker) and each CREATE INDEX
to every shard, all shards of a worker at once. maintenance_work_mem is sized to hold the largest HNSW graph of one
build in memory (the whole table on the single node, the largest shard on the cluster; --maintenance-work-mem
overrides it) and set on the workers for the build, as Citus does not pass a SET on; the single node builds with
parallel maintenance workers (one per core beyond the first), the workers with none (their shards run in parallel).

What is measured, in a fresh process per round and setup, as the application role (row-level security in force),
each sample timing a whole tenant_context block (BEGIN, SET LOCAL of the tenant, the statements, COMMIT):
- vector search: kb.search.search(mode="vector") with the query vector given (no embedding model runs); queries are
  points near a random chunk of a random tenant; the snippet statement (ts_headline) is part of it. The HNSW scan
  fetches its 40 candidates, but with these loose clusters only the chunk the query was drawn from is above the
  model's noise floor, so a call returns about 1 row (printed as "rows per call");
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
# The HNSW graph in memory per row (384 dimensions, m = 16), from the row at which a 64 MB build ran out: 2,370
# bytes; some margin on top, because a graph that outgrows maintenance_work_mem is finished on disk, far slower.
HNSW_BYTES_PER_ROW = 2700
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
    """A progress bar for an HNSW build, read from pg_stat_progress_create_index of the nodes that build it (the
    workers on a cluster, one build per shard), and the most builds seen running at once."""
    from tqdm import tqdm

    seen = {"concurrent": 0}
    stop = threading.Event()

    def poll() -> None:
        connections = [connect_owner(url) for url in urls]
        # A shard's build leaves the view when it ends: each build's last count is kept, so the bar never falls.
        done: dict[tuple[int, int, int], int] = {}
        try:
            with tqdm(total=total, desc=label, unit="row", unit_scale=True, file=sys.stderr) as bar:
                while not stop.wait(1.0):
                    running = 0
                    for n, conn in enumerate(connections):
                        rows = conn.execute("SELECT pid, relid::bigint, tuples_done "
                                            "FROM pg_stat_progress_create_index").fetchall()
                        running += len(rows)
                        for pid, relid, tuples in rows:
                            done[n, pid, relid] = max(done.get((n, pid, relid), 0), int(tuples))
                    seen["concurrent"] = max(seen["concurrent"], running)
                    bar.update(max(0, min(sum(done.values()), total) - bar.n))
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


def build_memory(raw: Any, per_tenant: int, tenants: int, cluster: bool) -> str:
    """maintenance_work_mem for the largest HNSW graph one build holds: the whole table, or the largest shard's."""
    rows = per_tenant * tenants
    if cluster:
        (most,) = raw.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM tenants_tenant WHERE slug LIKE 'bench-%' "
            "GROUP BY get_shard_id_for_distribution_column('kb_chunk', id)) AS shards").fetchone()
        rows = per_tenant * int(most)
    return f"{max(64, math.ceil(rows * HNSW_BYTES_PER_ROW / 2**20))}MB"


def build_indexes(raw: Any, definitions: dict[str, str], *, owner_url: str, worker_urls: list[str], memory: str,
                  rows: int, label: str) -> dict[str, Any]:
    """Create the indexes dropped for the load: seconds per index, the most builds seen at once, the notices."""
    import psycopg

    notices: list[str] = []
    raw.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    workers = [connect_owner(url) for url in worker_urls]
    # Citus passes no SET on to the shards it builds: the workers' own settings are changed for the build. Each
    # worker builds its shards' indexes at once (one connection per shard), which keeps its cores busy without
    # parallel maintenance workers; the single node gets those instead.
    build_settings = {"maintenance_work_mem": memory, "max_parallel_maintenance_workers": "0"}
    for conn in workers:
        for name, value in build_settings.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")  # type: ignore[arg-type]
        conn.execute("SELECT pg_reload_conf()")
    raw.execute(f"SET maintenance_work_mem = '{memory}'")  # type: ignore[arg-type]
    raw.execute(f"SET max_parallel_maintenance_workers = {max(0, (os.cpu_count() or 2) - 1)}")  # type: ignore[arg-type]
    seconds: dict[str, float] = {}
    concurrent = 0
    try:
        for name, definition in definitions.items():
            start = time.perf_counter()
            if "hnsw" not in definition:
                log(f"{label}: building {name}")
                raw.execute(definition)
            else:
                with build_progress(worker_urls or [owner_url], rows, f"{label}: {name}") as seen:
                    try:
                        raw.execute(definition)
                    except psycopg.errors.DiskFull as error:
                        # A parallel build takes maintenance_work_mem of shared memory at once, which a small
                        # /dev/shm (a container's 64 MB) refuses.
                        log(f"{label}: {error}; building without parallel workers")
                        raw.execute("SET max_parallel_maintenance_workers = 0")
                        raw.execute(definition)
                concurrent = max(concurrent, seen["concurrent"])
            seconds[f"index {name}"] = time.perf_counter() - start
    finally:
        for conn in workers:
            for name in build_settings:
                conn.execute(f"ALTER SYSTEM RESET {name}")  # type: ignore[arg-type]
            conn.execute("SELECT pg_reload_conf()")
            conn.close()
    return {"seconds": seconds, "concurrent": concurrent, "notices": notices}


def tenant_records(bench: Any, t: int, args: argparse.Namespace, articles_per_tenant: int) -> tuple[list, list]:
    """The tenant's articles and revisions, tickets with their customers, visitors with their conversations,
    through the ORM in its context (the application role, as the services write them): (articles, revisions)."""
    from django.utils import timezone

    from chat.models import Conversation, Visitor
    from kb.models import Article, ArticleRevision
    from tenants.rls import tenant_context
    from tickets.models import Customer, Priority, Status, Ticket

    now = timezone.now()
    rng = random.Random(t)
    with tenant_context(bench.id):
        articles = Article.objects.bulk_create([
            Article(tenant=bench, title=f"Article {a}", slug=f"article-{a}", status="published", published_at=now)
            for a in range(articles_per_tenant)])
        revisions = ArticleRevision.objects.bulk_create([
            ArticleRevision(tenant=bench, article=a, number=1, title=a.title) for a in articles])
        customers = Customer.objects.bulk_create([
            Customer(tenant=bench, email=f"customer{c}@{bench.slug}.test", name=f"Customer {c}")
            for c in range(args.tickets)])
        Ticket.objects.bulk_create([
            Ticket(tenant=bench, number=n + 1, requester=customer, subject=" ".join(rng.choices(WORDS, k=6)),
                   status=rng.choice(Status.values), priority=rng.choice(Priority.values), created_at=now,
                   updated_at=now)
            for n, customer in enumerate(customers)])
        visitors = Visitor.objects.bulk_create([
            Visitor(tenant=bench, key=f"{t:04x}{v:028x}", name=f"Visitor {v}") for v in range(args.conversations)])
        Conversation.objects.bulk_create([Conversation(tenant=bench, visitor=v) for v in visitors])
    return articles, revisions


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

    from kb.indexing import current_model

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
            articles, revisions = tenant_records(bench, t, args, articles_per_tenant)
            vectors, words = tenant_rows(t, per_tenant, centres)
            now = timezone.now()
            with raw.transaction(), raw.cursor() as cursor:
                with cursor.copy("COPY bench_stage FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(STAGE_TYPES)
                    for i in range(per_tenant):
                        a = i % articles_per_tenant
                        copy.write_row((bench.id, articles[a].id, revisions[a].id, i // articles_per_tenant,
                                        f"Article {a} > s{i}", " ".join(WORDS[w] for w in words[i]), vectors[i],
                                        model, now))
                cursor.execute(STAGE_MOVE)
                cursor.execute("TRUNCATE bench_stage")
            rng = np.random.default_rng([SEED, t, 1])
            for i in rng.integers(0, per_tenant, size=per_tenant_queries):
                q = vectors[i] + rng.normal(scale=0.03, size=DIM).astype(np.float32)
                q /= np.linalg.norm(q)
                queries.append({"tenant": bench.slug, "vector": [round(float(x), 6) for x in q],
                                "words": " ".join(WORDS[w] for w in rng.integers(0, len(WORDS), size=QUERY_WORDS))})
            bar.update(per_tenant)
    phases["load"] = time.perf_counter() - start
    connections.close_all()

    memory = args.maintenance_work_mem
    if memory == "auto":
        memory = build_memory(raw, per_tenant, args.tenants, bool(worker_urls))
    built = build_indexes(raw, definitions, owner_url=owner_url, worker_urls=worker_urls, memory=memory,
                          rows=per_tenant * args.tenants, label=args.setup)
    phases.update(built["seconds"])
    for notice in built["notices"]:
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
    return {"phases": phases, "rows": per_tenant * args.tenants, "build_concurrency": built["concurrent"],
            "maintenance_work_mem": memory, "kb_chunk_mib_per_worker": placement}


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

    found: dict[str, float] = {}

    def timed(label: str, run: Callable[[Tenant, dict[str, Any]], list[Any]]) -> list[float]:
        for item in queries[:20]:  # warms the caches and the connection
            with tenant_context(tenants[item["tenant"]].id):
                run(tenants[item["tenant"]], item)
        latencies, rows = [], 0
        for item in queries:
            bench = tenants[item["tenant"]]
            started = time.perf_counter()
            with tenant_context(bench.id):
                rows += len(run(bench, item))
            latencies.append((time.perf_counter() - started) * 1000)
        # A setup that found nothing would look fast: the rows per call are reported next to the latencies.
        found[label] = rows / len(queries)
        return latencies

    def vector(bench: Tenant, item: dict[str, Any]) -> list[Any]:
        return search(tenant=bench, query=item["words"], mode="vector", model=model, query_vector=item["vector"])

    def hybrid(bench: Tenant, item: dict[str, Any]) -> list[Any]:
        return search(tenant=bench, query=item["words"], mode="hybrid", model=model, query_vector=item["vector"])

    def tickets(bench: Tenant, item: dict[str, Any]) -> list[Any]:
        return list(ticket_list(tenant=bench, user=None)[:PAGE])

    result: dict[str, Any] = {"vector": timed("vector", vector), "hybrid": timed("hybrid", hybrid),
                              "tickets": timed("tickets", tickets), "found": found}
    # Outside a tenant context the application role must see no rows at all (row-level security in force).
    assert not vector(tenants[queries[0]["tenant"]], queries[0]), "a search outside a tenant context found rows"

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
    for name, rounds in results.items():
        found = {key: np.mean([r["found"][key] for r in rounds]) for key in rounds[0]["found"]}
        print(f"{LABELS[name]}: rows per call " + ", ".join(f"{key} {value:.1f}" for key, value in found.items()))


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
    parser.add_argument("--maintenance-work-mem", default="auto",
                        help="for the index builds; auto: what the largest HNSW graph of one build needs")
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
    sizes = ["--tenants", str(args.tenants), "--chunks", str(args.chunks), "--tickets", str(args.tickets),
             "--conversations", str(args.conversations)]
    loaded: dict[str, dict[str, Any]] = {}
    for name in SETUPS:
        marker = base / name / "loaded.json"
        if marker.exists() and json.loads(marker.read_text()).get("sizes") == sizes and queries_file.exists():
            loaded[name] = json.loads(marker.read_text())
        elif (base / name).exists():
            # Loading again on top would collide with the rows there (unique slugs and ordinals).
            raise SystemExit(f"{base / name} holds other sizes or an unfinished load: remove it or pick another --data")
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
            if name in loaded:
                log(f"==> {LABELS[name]}: already loaded in {base / name}")
                loads[name] = loaded[name]
                phases[name].update({f"{phase} (earlier)": s for phase, s in loads[name]["phases"].items()})
                continue
            log(f"==> {LABELS[name]}: migrate and load {args.chunks:,} chunks for {args.tenants} tenants")
            extra = [*sizes, "--setup", name, "--queries", str(args.queries),
                     "--maintenance-work-mem", args.maintenance_work_mem]
            if not queries_file.exists():  # the same rows in both setups: the first load's queries serve both
                extra += ["--queries-out", str(queries_file)]
            loads[name] = run_child("load", envs[name], extra)
            phases[name].update(loads[name]["phases"])
            if not temporary:
                (base / name / "loaded.json").write_text(json.dumps({"sizes": sizes, **loads[name]}))
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
    samples = len(results["single"][0]["vector"])
    print(f"{args.chunks:,} chunks over {args.tenants} tenants ({args.chunks // args.tenants:,} each), "
          f"{args.tickets} tickets and {args.conversations} conversations per tenant; {args.rounds} rounds of "
          f"{samples} queries per figure and {args.seconds:g} s of chat insert with {args.posters} posters")
    print_table(results)
    print()
    print("phases (s):")
    for name, timings in phases.items():
        print(f"  {LABELS[name]:<16} " + ", ".join(f"{phase} {seconds:.0f}" for phase, seconds in timings.items()))
    for name, load in loads.items():
        sizes_mib = load["kb_chunk_mib_per_worker"]
        where = f", kb_chunk MiB per worker {sizes_mib}" if sizes_mib else ""
        print(f"  {LABELS[name]}: maintenance_work_mem {load['maintenance_work_mem']}, HNSW builds seen at once "
              f"{load['build_concurrency']}{where}")


if __name__ == "__main__":
    main()
