from __future__ import annotations

import pytest
from django.db import connection

from kb import selectors, services
from kb.models import Chunk
from kb.search import or_query_text
from tenants.rls import tenant_context

pytestmark = pytest.mark.django_db

CARD = ("How long does card delivery take?",
        "Standard delivery of a new card takes 3 to 5 business days in the UK.\n\n## Express\n\n"
        "Express delivery costs £5 and arrives the next working day.")
FREEZE = ("Freeze a lost card",
          "If you misplaced your card, freeze it in the app under Cards > Freeze. You can unfreeze it later.")


@pytest.mark.parametrize("mode", ["hybrid", "vector", "fts"])
def test_it_finds_published_articles_of_its_own_tenant_only(publish, acme, globex, mode):
    mine = publish(acme, title=CARD[0], body=CARD[1])
    publish(acme, title=FREEZE[0], body=FREEZE[1])
    theirs = publish(globex, title=CARD[0], body=CARD[1])
    with tenant_context(acme.id):
        hits = selectors.article_search(tenant=acme, query="card delivery express", mode=mode)
    assert hits[0].article_id == mine.id
    assert theirs.id not in {h.article_id for h in hits}
    assert hits[0].url == f"/h/acme/articles/{mine.slug}/"
    assert len({h.article_id for h in hits}) == len(hits)  # one hit per article


def test_a_paraphrase_without_shared_words_is_found_by_vector_and_hybrid(publish, acme):
    publish(acme, title=CARD[0], body=CARD[1])
    freeze = publish(acme, title=FREEZE[0], body=FREEZE[1])
    query = "I can't find my plastic, how do I block it temporarily"
    with tenant_context(acme.id):
        assert selectors.article_search(tenant=acme, query=query, mode="hybrid")[0].article_id == freeze.id
        hit = selectors.article_search(tenant=acme, query=query, mode="vector")[0]
    assert hit.article_id == freeze.id
    assert 0 < hit.vector_similarity <= 1
    assert hit.fts_rank is None


def test_drafts_and_unpublished_articles_are_never_found(publish, acme):
    article = publish(acme, title=CARD[0], body=CARD[1])
    with tenant_context(acme.id):
        services.article_save(tenant=acme, author=None, title="Draft about card delivery", body="card delivery")
        assert [h.article_id for h in selectors.article_search(tenant=acme, query="card delivery")] == [article.id]
        services.article_unpublish(tenant=acme, article=article)
        assert selectors.article_search(tenant=acme, query="card delivery") == []
        assert not Chunk.objects.filter(article=article).exists()


def test_a_chunk_left_behind_by_a_published_flag_change_is_still_filtered(publish, acme):
    article = publish(acme, title=CARD[0], body=CARD[1])
    with tenant_context(acme.id):
        # Simulates a crash between flipping the status and dropping the chunks: search still filters.
        type(article).objects.filter(id=article.id).update(status="draft")
        assert Chunk.objects.filter(article=article).exists()
        for mode in ("hybrid", "vector", "fts"):
            assert selectors.article_search(tenant=acme, query="card delivery", mode=mode) == []


def test_snippets_highlight_query_words_and_escape_html(publish, acme):
    publish(acme, title="Script <b>tags</b>", body="Delivery of <script>alert(1)</script> cards is quick.")
    with tenant_context(acme.id):
        hit = selectors.article_search(tenant=acme, query="delivery", mode="fts")[0]
    assert "<mark>Delivery</mark>" in hit.snippet
    assert "<script" not in hit.snippet
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippets_show_prose_not_markdown_syntax(publish, acme):
    publish(acme, title="Frozen cards", body="Go to **Cards** > [your card](/cards) and tap `Unfreeze` in *Security*.")
    with tenant_context(acme.id):
        hit = selectors.article_search(tenant=acme, query="unfreeze security", mode="fts")[0]
    plain = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "Cards &gt; your card and tap Unfreeze in Security" in plain
    assert not any(mark in plain for mark in ("**", "`", "](", "*"))


def test_empty_or_punctuation_queries_return_nothing(publish, acme):
    publish(acme, title=CARD[0], body=CARD[1])
    with tenant_context(acme.id):
        assert selectors.article_search(tenant=acme, query="   ") == []
        assert selectors.article_search(tenant=acme, query="&|!():*", mode="fts") == []
        # Odd characters are not tsquery syntax errors.
        assert selectors.article_search(tenant=acme, query="card & | ! delivery:*")[0]


def test_an_unknown_mode_is_refused(acme):
    with pytest.raises(ValueError):
        selectors.article_search(tenant=acme, query="x", mode="bm25")


def test_or_query_keeps_words_only():
    assert or_query_text("Card & delivery | card!!") == "card | delivery"


def test_the_vector_query_uses_the_hnsw_index(publish, acme):
    publish(acme, title=CARD[0], body=CARD[1])
    from kb.indexing import current_model
    from kb.search import vector_candidates

    with tenant_context(acme.id):
        queryset = vector_candidates(tenant=acme, vector=[0.05] * 384, model=current_model(), limit=10)
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            # With a handful of rows the planner rightly reads the tenant's rows and sorts them; forbidding that
            # shows whether the HNSW index can serve this ORDER BY at all, i.e. whether its operator class
            # (vector_cosine_ops) matches the query's operator (<=>). With vector_l2_ops it could not.
            # bench/search_latency.py prints the plan the planner picks by itself at 100,000 chunks.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using kb_chunk_embedding_hnsw" in plan, plan
    assert "Order By: (embedding <=> " in plan, plan


SHIPPING = ("运费说明", "订单实付金额满49元免运费。未达到免运费门槛时，每单收取6元运费。\n\n## 超重\n\n"
            "订单总重量超过25公斤时，每超出5公斤加收2元运费。")
REFUND = ("会员退款规则", "开通青禾会员后7天内，如果没有使用过任何会员权益，可以申请全额退款。\n\n"
          "退款会在3个工作日内原路退回。已经使用过权益的会员不支持退款。")


@pytest.mark.parametrize(("query", "expected"), [
    ("运费怎么算", "shipping"), ("会员能退款吗？", "refund"), ("满多少钱免运费", "shipping"),
    ("card delivery", "card"),
])
def test_chinese_questions_find_chinese_articles_and_english_still_works(publish, acme, globex, query, expected):
    mine = {
        "shipping": publish(acme, title=SHIPPING[0], body=SHIPPING[1], slug="shipping"),
        "refund": publish(acme, title=REFUND[0], body=REFUND[1], slug="refund"),
        "card": publish(acme, title=CARD[0], body=CARD[1]),
    }
    theirs = {publish(globex, title=SHIPPING[0], body=SHIPPING[1], slug="shipping").id,
              publish(globex, title=REFUND[0], body=REFUND[1], slug="refund").id}
    with tenant_context(acme.id):
        hits = selectors.article_search(tenant=acme, query=query, mode="fts")
    assert hits[0].article_id == mine[expected].id
    assert not theirs & {h.article_id for h in hits}


def test_chinese_snippets_highlight_words_and_show_the_text_as_written(publish, acme):
    publish(acme, title=SHIPPING[0], body=SHIPPING[1], slug="shipping")
    with tenant_context(acme.id):
        for mode in ("fts", "hybrid"):
            hit = selectors.article_search(tenant=acme, query="运费怎么算", mode=mode)[0]
            assert "<mark>运费</mark>" in hit.snippet
            plain = hit.snippet.replace("<mark>", "").replace("</mark>", "")
            assert all(piece in hit.text for piece in plain.split(" … "))  # no separators left, nothing doubled


def test_the_help_center_renders_chinese_results(client, publish, acme):
    publish(acme, title=REFUND[0], body=REFUND[1], slug="refund")
    response = client.get("/h/acme/search/?q=会员能退款吗")
    assert response.status_code == 200
    assert "<mark>退款</mark>".encode() in response.content


@pytest.mark.parametrize("query", ["？！。，……", "😀🙏👍", "的了吗？"])
def test_queries_of_only_punctuation_emoji_or_function_words_find_nothing(publish, acme, query):
    publish(acme, title=SHIPPING[0], body=SHIPPING[1], slug="shipping")
    with tenant_context(acme.id):
        assert selectors.article_search(tenant=acme, query=query, mode="fts") == []
        selectors.article_search(tenant=acme, query=query, mode="hybrid")  # no error either
