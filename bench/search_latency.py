"""Search latency (p50/p99) and recall@10 against exact search, at 100,000 chunks spread over 100 tenants.

Run: python -m helpdesk.embedded exec -- python bench/search_latency.py [--chunks 100000 --tenants 100]

The vectors are SYNTHETIC: unit vectors drawn around 2,000 random cluster centres (texts made of random words),
because embedding 100,000 real passages would take hours on a CPU. Queries are points near a random chunk of the
queried tenant. "Exact" is brute force in NumPy over that tenant's chunks. Each query runs the same SQL as
article_search (tenant, published and model filters, HNSW with iterative scan) through the application role,
so row-level security is in force. The query embedding is not part of the timing (the vectors are given).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _django import percentile, setup, tenant

DIM = 384
WORDS = [f"w{i}" for i in range(3000)]


def load(*, chunks: int, tenants: int, seed: int = 7) -> tuple[list, dict[int, tuple[np.ndarray, np.ndarray]]]:
    from django.db import connections
    from django.utils import timezone
    from pgvector.psycopg import register_vector

    from kb.indexing import current_model
    from kb.models import Article, ArticleRevision
    from tenants.rls import tenant_context

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(2000, DIM)).astype(np.float32)
    per_tenant = chunks // tenants
    model = current_model()
    owners, data = [], {}
    owner = connections["owner"]
    owner.ensure_connection()
    raw = owner.connection
    register_vector(raw)
    with raw.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS kb_chunk_embedding_hnsw")
    raw.commit()
    start = time.perf_counter()
    for t in range(tenants):
        bench = tenant(f"bench-{t:03d}")
        owners.append(bench)
        with tenant_context(bench.id):
            articles = Article.objects.bulk_create([
                Article(tenant=bench, title=f"Article {a}", slug=f"article-{a}", status="published")
                for a in range(10)])
            revisions = ArticleRevision.objects.bulk_create([
                ArticleRevision(tenant=bench, article=a, number=1, title=a.title) for a in articles])
        picks = rng.integers(0, len(centres), size=per_tenant)
        vectors = centres[picks] + rng.normal(scale=0.6, size=(per_tenant, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = []
        with raw.cursor() as cursor:
            with cursor.copy("COPY kb_chunk (tenant_id, article_id, revision_id, ordinal, heading, text, embedding, "
                             "embedding_model, created_at) FROM STDIN") as copy:
                for i in range(per_tenant):
                    a = i % 10
                    words = " ".join(WORDS[w] for w in rng.integers(0, len(WORDS), size=40))
                    copy.write_row((bench.id, articles[a].id, revisions[a].id, i // 10, f"Article {a} > s{i}",
                                    words, vectors[i], model, timezone.now()))
            cursor.execute("SELECT id FROM kb_chunk WHERE tenant_id = %s ORDER BY article_id, ordinal", [bench.id])
            ids = [row[0] for row in cursor.fetchall()]
        raw.commit()
        order = np.array([(i % 10, i // 10) for i in range(per_tenant)])
        sorted_idx = np.lexsort((order[:, 1], order[:, 0]))
        data[bench.id] = (np.array(ids), vectors[sorted_idx])
    print(f"loaded {chunks} chunks for {tenants} tenants in {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    with raw.cursor() as cursor:
        cursor.execute("UPDATE kb_chunk SET search_vector = setweight(to_tsvector('english', heading), 'A') || "
                       "setweight(to_tsvector('english', text), 'B')")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("CREATE INDEX kb_chunk_embedding_hnsw ON kb_chunk USING hnsw (embedding vector_cosine_ops) "
                       "WITH (m = 16, ef_construction = 64)")
        cursor.execute("ANALYZE kb_chunk")
        cursor.execute("ANALYZE kb_article")
    raw.commit()
    print(f"tsvector + HNSW build + ANALYZE: {time.perf_counter() - start:.0f} s")
    return owners, data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    setup()
    from django.db import connection

    from kb.indexing import current_model
    from kb.search import search, vector_candidates
    from tenants.rls import tenant_context

    tenants, data = load(chunks=args.chunks, tenants=args.tenants)
    model = current_model()
    rng = np.random.default_rng(11)
    queries = []
    for _ in range(args.queries):
        bench = tenants[int(rng.integers(0, len(tenants)))]
        ids, vectors = data[bench.id]
        q = vectors[int(rng.integers(0, len(vectors)))] + rng.normal(scale=0.03, size=DIM).astype(np.float32)
        q /= np.linalg.norm(q)
        exact = set(ids[np.argsort(-(vectors @ q))[:10]].tolist())
        words = " ".join(WORDS[w] for w in rng.integers(0, len(WORDS), size=3))
        queries.append((bench, [float(x) for x in q], exact, words))

    with tenant_context(tenants[0].id), connection.cursor() as cursor:
        sql, params = vector_candidates(tenant=tenants[0], vector=queries[0][1], model=model, limit=10) \
            .query.sql_with_params()
        cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                       "set_config('hnsw.ef_search', '100', true)")
        cursor.execute("EXPLAIN " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    print("plan of the vector query (planner's own choice):")
    for line in plan:
        print("   ", line if len(line) < 140 else line[:137] + "...")

    def run(label: str, fn) -> None:
        for bench, vector, _exact, words in queries[:20]:  # warm the caches
            with tenant_context(bench.id):
                fn(bench, vector, words)
        latencies, recalls = [], []
        for bench, vector, exact, words in queries:
            with tenant_context(bench.id):
                start = time.perf_counter()
                found = fn(bench, vector, words)
                latencies.append((time.perf_counter() - start) * 1000)
            if found is not None:
                recalls.append(len(set(found) & exact) / 10)
        recall = f"{np.mean(recalls):.3f}" if recalls else "  -  "
        print(f"{label:<44} p50 {percentile(latencies, 50):6.2f} ms  p99 {percentile(latencies, 99):6.2f} ms  "
              f"recall@10 {recall}")

    def vector_top10(bench, vector, words):
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                           "set_config('hnsw.ef_search', '100', true)")
        rows = list(vector_candidates(tenant=bench, vector=vector, model=model, limit=10))
        return [r["id"] for r in sorted(rows, key=lambda r: r["distance"])]

    def forced_hnsw(bench, vector, words):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
        return vector_top10(bench, vector, words)

    print(f"{len(queries)} queries over {len(tenants)} tenants ({args.chunks // len(tenants)} chunks each):")
    run("vector top-10 (planner's choice)", vector_top10)
    run("vector top-10 (HNSW forced)", forced_hnsw)
    run("article_search mode=vector (given vector)",
        lambda b, v, w: search(tenant=b, query=w, mode="vector", query_vector=v) and None)
    run("article_search mode=hybrid (given vector)",
        lambda b, v, w: search(tenant=b, query=w, mode="hybrid", query_vector=v) and None)
    print("goal: p50 < 10 ms, recall@10 >= 0.95")


if __name__ == "__main__":
    main()
