"""Indexing throughput (chunks/s) of the demo knowledge base next to the raw model's throughput on the same texts.

Run: python -m helpdesk.embedded exec -- python bench/indexing_throughput.py [--rounds 3]
Raw = ai.backends.embeddings.embed() on the chunk texts alone. Indexing = kb.indexing.articles_index(): read the
articles, chunk them, embed (same batches), swap the chunks in (delete + insert + tsvector) per article.
Rounds alternate raw and indexing so that a noisy neighbour on the CPU hurts both alike; the best round of each
is reported.
"""

from __future__ import annotations

import argparse
import time

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
    raw, indexed = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        embeddings.embed(texts, name=model, batch_size=indexing.EMBED_BATCH)
        raw.append(len(texts) / (time.perf_counter() - start))
        with tenant_context(bench.id):
            start = time.perf_counter()
            stored = indexing.articles_index(tenant=bench, article_ids=ids)
            indexed.append(stored / (time.perf_counter() - start))
        assert stored == len(texts), (stored, len(texts))
    print("round  raw chunks/s  indexing chunks/s")
    for i, (r, x) in enumerate(zip(raw, indexed, strict=True), start=1):
        print(f"{i:>5}  {r:>12.1f}  {x:>17.1f}")
    print(f"best   {max(raw):>12.1f}  {max(indexed):>17.1f}   indexing/raw = {max(indexed) / max(raw):.1%} "
          "(goal >= 90%)")


if __name__ == "__main__":
    main()
