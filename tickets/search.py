"""How tickets are indexed and searched in the queue: one tsvector per ticket, the subject (weight A) and every
public reply appended to it, matched with every word of the agent's query required.

English goes through PostgreSQL's ``english`` configuration as before (stemmed, websearch syntax with "quotes"
and -exclusions). Han text is indexed as character pairs (helpdesk.segmentation.bigram_text), because a filter must
find "没到" in "我的快递三天了还没到" whatever jieba makes of either; the query is cut into words by jieba first,
so "快递没到" still finds that ticket. The ``english`` configuration keeps the pairs as they are.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Value

from helpdesk.segmentation import HAN_RUN, WORD, bigram_terms, bigram_text

FTS_CONFIG = "english"


def ticket_vector(text: str, *, weight: str | None = None) -> SearchVector:
    """The vector of a subject (weight A) or of a reply's body, to append to the ticket's."""
    return SearchVector(Value(bigram_text(text)), config=FTS_CONFIG, weight=weight)


def ticket_query(q: str) -> SearchQuery:
    """Every word of ``q`` required: the English part in websearch syntax, each Han part as its pairs."""
    han = bigram_terms(q)
    if not han:
        return SearchQuery(q, config=FTS_CONFIG, search_type="websearch")
    query = SearchQuery(" & ".join(han), config=FTS_CONFIG, search_type="raw")
    rest = HAN_RUN.sub(" ", q)
    if WORD.search(rest):
        query = SearchQuery(rest, config=FTS_CONFIG, search_type="websearch") & query
    return query
