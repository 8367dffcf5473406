"""Indexing throughput (chunks/s) of the demo knowledge base next to the raw model's throughput on the same texts.

Run: python -m helpdesk.embedded exec -- python bench/indexing_throughput.py [--rounds 3]
Raw = ai.backends.embeddings.embed() on the chunk texts alone. Indexing = kb.indexing.articles_index(): read the
articles, chunk them, embed (same batches), swap the chunks in (delete + insert + tsvector) per article.
Rounds alternate raw and indexing so that a noisy neighbour on the CPU hurts both alike. The headline compares
the totals over all rounds (chunks / total seconds); per-round figures and the median per-round ratio show the noise.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _django import setup, tenant


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup()
    from ai.backends import embeddings
    from kb import importing, indexing
    from kb.chunking import chunk_article
    from kb.models import Article, ArticleRevision
    from kb.seed import DEMO_ROOT
    from tenants.rls import tenant_context

    bench = tenant("bench-indexing")
    with tenant_context(bench.id):
        importing.import_files(tenant=bench, author=None, files=importing.folder_files(DEMO_ROOT), publish=True,
                               index="none")
        ids = list(Article.objects.for_tenant(bench).values_list("id", flat=True))
        texts = [
            draft.embedding_input()
            for revision in ArticleRevision.objects.for_tenant(bench).order_by("article_id", "-number")
            .distinct("article_id")
            for draft in chunk_article(title=revision.title, body=revision.body)
        ]
    print(f"device: {embeddings.torch_device()}, model: {embeddings.model_id()}, articles: {len(ids)}, "
          f"chunks: {len(texts)}, batch size: {indexing.EMBED_BATCH}")
    model = indexing.current_model()
    embeddings.embed(texts[:64], name=model)  # load the model (the same cached instance indexing uses), warm up
    raw, indexed = [], []  # seconds per round
    for _ in range(args.rounds):
        start = time.perf_counter()
        embeddings.embed(texts, name=model, batch_size=indexing.EMBED_BATCH)
        raw.append(time.perf_counter() - start)
        with tenant_context(bench.id):
            start = time.perf_counter()
            stored = indexing.articles_index(tenant=bench, article_ids=ids)
            indexed.append(time.perf_counter() - start)
        assert stored == len(texts), (stored, len(texts))
    n = len(texts)
    print("round  raw chunks/s  indexing chunks/s  ratio")
    for i, (r, x) in enumerate(zip(raw, indexed, strict=True), start=1):
        print(f"{i:>5}  {n / r:>12.1f}  {n / x:>17.1f}  {r / x:>5.1%}")
    total_raw, total_indexed = n * len(raw) / sum(raw), n * len(indexed) / sum(indexed)
    ratios = sorted(r / x for r, x in zip(raw, indexed, strict=True))
    # The noise-free view: everything indexing does besides the model, timed with a free stand-in embedder.
    rng = np.random.default_rng(0)

    def free(batch: list[str]) -> np.ndarray:
        vectors = rng.normal(size=(len(batch), embeddings.DIMENSIONS)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    overheads = []
    for _ in range(args.rounds):
        with tenant_context(bench.id):
            start = time.perf_counter()
            indexing.articles_index(tenant=bench, article_ids=ids, embedder=free)
            overheads.append(time.perf_counter() - start)
    overhead = sorted(overheads)[len(overheads) // 2]
    raw_median = sorted(raw)[len(raw) // 2]
    print(f"indexing work besides the model (median of {len(overheads)}): {overhead:.2f} s for {n} chunks; "
          f"with the median raw model time ({raw_median:.1f} s) that is {raw_median / (raw_median + overhead):.1%} "
          "of raw")
    print(f"total  {total_raw:>12.1f}  {total_indexed:>17.1f}  {total_indexed / total_raw:>5.1%}   "
          f"median round ratio {ratios[len(ratios) // 2]:.1%}   (goal: indexing >= 90% of raw)")


if __name__ == "__main__":
    main()
