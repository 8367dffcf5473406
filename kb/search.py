"""Hybrid search over published chunks: pgvector HNSW (cosine) and PostgreSQL full-text search, fused by RRF.

The candidate lists are built with the ORM (tenant, published and embedding-model filters included) and run as
CTEs of a single SQL statement, so that one snapshot serves both lists: a re-index committing halfway through a
search cannot make one list see the old chunks and the other the new ones.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, QuerySet
from pgvector.django import CosineDistance

from ai.backends import embeddings
from helpdesk.segmentation import query_terms, segment
from kb.indexing import FTS_CONFIG, current_model
from kb.models import ArticleStatus, Chunk
from tenants.models import Tenant

MODES = ("hybrid", "vector", "fts")
# Reciprocal rank fusion: score = 1 / (K + vector rank) + FTS_WEIGHT / (K + full-text rank), per article. Chosen on
# the demo evaluation set (bench/search_quality.py); neighbouring values (K 5 to 20, weight 0.3 to 0.7) score alike.
RRF_K = 10
FTS_WEIGHT = 0.5
CANDIDATES = 40
EF_SEARCH = 100
# Below the model's noise floor (ai.backends.embeddings.noise_floor: MiniLM puts unrelated texts around 0 to 0.2,
# e5 around 0.75) a vector neighbour is noise: without a floor, gibberish would always "find" the nearest articles.
# Full-text matches need no floor.
MAX_TERMS = 32
MARK_START, MARK_STOP = "\u27ea", "\u27eb"  # sentinels turned into <mark> after HTML-escaping the snippet
HEADLINE_OPTIONS = (f"StartSel={MARK_START}, StopSel={MARK_STOP}, MaxWords=30, MinWords=12, MaxFragments=2, "
                    "FragmentDelimiter=\" … \"")
# Between segmented Chinese words in the text given to ts_headline: PostgreSQL's parser reads it as a space, and
# it is removed from the headline, so the snippet shows the text as written.
HEADLINE_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    article_title: str
    article_slug: str
    category_slug: str
    url: str
    chunk_id: int
    heading: str
    text: str
    snippet: str
    score: float
    vector_similarity: float | None
    fts_rank: float | None
    revision_id: int = 0
    locale: str = ""
    group_id: int = 0  # the same for an article and its translations (Article.group_id)


def or_query_text(query: str) -> str:
    """Any of the words (to_tsquery syntax): questions are long, and AND-ing every word would match nothing.

    Chinese is segmented into words, without function words (helpdesk.segmentation), as the indexed text is."""
    return " | ".join(query_terms(query, limit=MAX_TERMS))


def _published(tenant: Tenant, model: str) -> QuerySet[Chunk]:
    return Chunk.objects.for_tenant(tenant).filter(embedding_model=model, article__status=ArticleStatus.PUBLISHED)


def vector_candidates(*, tenant: Tenant, vector: list[float], model: str, limit: int = CANDIDATES) -> QuerySet[Any]:
    return (
        _published(tenant, model).annotate(distance=CosineDistance("embedding", vector)).order_by("distance")
        .values("id", "distance", "article_id")[:limit]
    )


def fts_candidates(*, tenant: Tenant, terms: str, model: str, limit: int = CANDIDATES) -> QuerySet[Any]:
    query = SearchQuery(terms, search_type="raw", config=FTS_CONFIG)
    return (
        _published(tenant, model).filter(search_vector=query)
        .annotate(fts_rank=SearchRank(F("search_vector"), query)).order_by("-fts_rank")
        .values("id", "fts_rank", "article_id")[:limit]
    )


def _sql(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


# Chunks keep their Markdown source; a snippet shows prose: no emphasis marks, heading hashes or link targets.
_MARKDOWN_NOISE = re.compile(r"\*+|`+|(?<!\w)_+|_+(?!\w)|^#+\s*|\]\([^)]*\)|\[", re.M)


def _plain(text: str) -> str:
    return _MARKDOWN_NOISE.sub("", text)


def _headlines(texts: list[str], terms: str) -> list[str | None]:
    """ts_headline of each text for the query, in one statement. It reads the texts segmented like the index, so
    that Chinese words are words it can pick and highlight, not one long run per sentence."""
    if not terms or not texts:
        return [None] * len(texts)
    segmented = [segment(text, separator=HEADLINE_SEPARATOR) for text in texts]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ts_headline('{FTS_CONFIG}', u.text, to_tsquery('{FTS_CONFIG}', %s), %s) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS u(text, n) ORDER BY u.n",
            [terms, HEADLINE_OPTIONS, segmented],
        )
        return [row[0].replace(HEADLINE_SEPARATOR, "") for row in cursor.fetchall()]


def _snippet(headline: str | None, text: str) -> str:
    if not headline:
        text = _plain(text)
        short = text if len(text) <= 240 else text[:240].rsplit(" ", 1)[0] + " …"
        return html.escape(short)
    return html.escape(_plain(headline)).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")


def search(
    *, tenant: Tenant, query: str, limit: int = 10, mode: str = "hybrid", model: str | None = None,
    candidates: int = CANDIDATES, query_vector: list[float] | None = None,
) -> list[SearchHit]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    query = query.strip()[:1000]
    limit = max(1, min(int(limit), 50))
    if not query:
        return []
    model = model or current_model()
    terms = or_query_text(query)
    params: list[Any] = []
    vector: list[float] | None = None
    vec_cte = "SELECT NULL::bigint AS id, NULL::float8 AS distance, NULL::bigint AS article_id WHERE false"
    fts_cte = "SELECT NULL::bigint AS id, NULL::float8 AS fts_rank, NULL::bigint AS article_id WHERE false"
    if mode in ("hybrid", "vector"):
        if query_vector is None:
            query_vector = embeddings.embed_one(query, name=model, role="query")
        vector = query_vector
        vec_cte, p = _sql(vector_candidates(tenant=tenant, vector=vector, model=model, limit=candidates))
        params += p
    if mode in ("hybrid", "fts") and terms:
        fts_cte, p = _sql(fts_candidates(tenant=tenant, terms=terms, model=model, limit=candidates))
        params += p
    elif mode == "fts":
        return []
    similarity = "1 - (c.embedding <=> %s::vector)" if vector is not None else "NULL::float8"
    # Fusion is per article: each list ranks articles by their best chunk, and a hit shows the chunk of the list
    # that contributed more. (Fusing chunks first let an article with many weakly matching chunks crowd out the
    # right one; see bench/search_quality.py.)
    statement = f"""
        WITH vec AS MATERIALIZED ({vec_cte}),
        fts AS MATERIALIZED ({fts_cte}),
        v AS (
            SELECT article_id, id, distance, row_number() OVER (ORDER BY distance, id) AS rank
            FROM (SELECT DISTINCT ON (article_id) article_id, id, distance FROM vec
                  WHERE distance <= {1 - embeddings.noise_floor(model):.6f} ORDER BY article_id, distance, id) AS best
        ),
        f AS (
            SELECT article_id, id, fts_rank, row_number() OVER (ORDER BY fts_rank DESC, id) AS rank
            FROM (SELECT DISTINCT ON (article_id) article_id, id, fts_rank FROM fts
                  ORDER BY article_id, fts_rank DESC, id) AS best
        ),
        fused AS (
            SELECT coalesce(1.0 / ({RRF_K} + v.rank), 0) + coalesce({FTS_WEIGHT} / ({RRF_K} + f.rank), 0) AS score,
                   CASE WHEN f.id IS NULL OR (v.id IS NOT NULL AND 1.0 / ({RRF_K} + v.rank) >= {FTS_WEIGHT}
                        / ({RRF_K} + f.rank)) THEN v.id ELSE f.id END AS id,
                   f.fts_rank
            FROM v FULL OUTER JOIN f ON v.article_id = f.article_id
        ),
        top AS (SELECT * FROM fused ORDER BY score DESC, id LIMIT %s)
        SELECT top.id, top.score::float8, top.fts_rank, c.heading, c.text, c.revision_id, a.id, a.title, a.slug,
               coalesce(cat.slug, ''), {similarity}, a.locale, coalesce(a.translation_of_id, a.id)
        FROM top
        JOIN kb_chunk c ON c.tenant_id = %s AND c.id = top.id
        JOIN kb_article a ON a.tenant_id = c.tenant_id AND a.id = c.article_id
        LEFT JOIN kb_category cat ON cat.tenant_id = a.tenant_id AND cat.id = a.category_id
        ORDER BY top.score DESC, top.id
    """
    # Every table names the tenant, so a Citus cluster runs the whole statement on one worker.
    params.append(limit)
    if vector is not None:
        params.append("[" + ",".join(f"{x:.7g}" for x in vector) + "]")
    params.append(tenant.id)
    with connection.cursor() as cursor:
        # Iterative scans keep walking the HNSW graph until enough rows pass the tenant filter (pgvector 0.8);
        # relaxed order is fine because the fused list is re-ranked above. SET LOCAL needs a transaction, which
        # every tenant context provides; outside one it would silently not apply.
        # SET LOCAL (not set_config) reaches Citus workers too; SET takes no parameters, so it is an int here.
        cursor.execute(f"SET LOCAL hnsw.iterative_scan = relaxed_order; "
                       f"SET LOCAL hnsw.ef_search = {int(max(EF_SEARCH, candidates))}")
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    headlines = _headlines([row[4] for row in rows], terms)
    return [
        SearchHit(
            article_id=row[6], article_title=row[7], article_slug=row[8], category_slug=row[9],
            url=f"/h/{tenant.slug}/articles/{row[8]}/", chunk_id=row[0], heading=row[3], text=row[4],
            snippet=_snippet(headline, row[4]), score=float(row[1]),
            vector_similarity=None if row[10] is None else max(0.0, min(1.0, float(row[10]))),
            fts_rank=None if row[2] is None else float(row[2]), revision_id=row[5], locale=row[11],
            group_id=row[12],
        )
        for row, headline in zip(rows, headlines, strict=True)
    ]
