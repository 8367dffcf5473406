"""The demo knowledge base (kb/demo) as an in-memory vector search over the real default embedding model.

Used by answering tests that need no database; the end-to-end tests search through ``kb.selectors``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from kb.search import SearchHit

ROOT = Path(__file__).resolve().parents[2] / "kb" / "demo" / "articles"


@cache
def _chunks() -> tuple[list[dict[str, Any]], Any]:
    from ai.backends.embeddings import embed

    chunks: list[dict[str, Any]] = []
    for article_id, path in enumerate(sorted(ROOT.glob("*/*.md")), start=1):
        if path.name.startswith("_"):
            continue
        _, front, body = path.read_text(encoding="utf-8").split("---", 2)
        title = re.search(r"^title:\s*(.+)$", front, re.M).group(1).strip()  # type: ignore[union-attr]
        for section in re.split(r"^## ", body, flags=re.M):
            heading, _, text = section.partition("\n") if section.startswith(("\n",)) is False else ("", "", section)
            text = text if heading and text else section
            chunks.append({"article_id": article_id, "title": title, "slug": f"{path.parent.name}/{path.stem}",
                           "category": path.parent.name, "heading": heading.strip(), "text": text.strip()})
    vectors = embed([f"{title}\n{c['heading']}\n{c['text']}" for c in chunks for title in [c["title"]]])
    return chunks, vectors


def search(query: str, limit: int = 5) -> list[SearchHit]:
    from ai.backends.embeddings import embed

    chunks, vectors = _chunks()
    similarity = vectors @ embed([query], role="query")[0]
    hits: dict[int, SearchHit] = {}
    for index in similarity.argsort()[::-1]:
        chunk = chunks[int(index)]
        if chunk["article_id"] in hits:
            continue
        hits[chunk["article_id"]] = SearchHit(  # the type the real search returns
            article_id=chunk["article_id"], article_title=chunk["title"], article_slug=chunk["slug"],
            category_slug=chunk["category"], url=f"/h/demo/{chunk['slug']}/", chunk_id=int(index),
            heading=chunk["heading"], text=chunk["text"], snippet=chunk["text"], score=float(similarity[index]),
            vector_similarity=float(similarity[index]), fts_rank=None,
        )
        if len(hits) == limit:
            break
    return list(hits.values())
