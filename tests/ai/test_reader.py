"""The reader and the decision on the real packaged models (CPU): Chinese and English articles written for these
tests, searched in memory with the default embedding model."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from ai import guard
from ai.answering import Options, answer
from ai.backends import text as textutil
from ai.backends.generation import Turn
from kb.chunking import chunk_article
from kb.search import SearchHit

ARTICLES = {
    "shipping-fees": ("运费说明", """
青禾鲜生按收货城市收取运费，结算页会显示本单运费。

## 运费标准

- 东城、西城：订单满39元免运费，不满39元收取5元。
- 南湖：订单满59元免运费，不满59元收取8元。
- 会员：满19元即免运费。

## 超重费

订单总重超过20公斤时，每多5公斤加收3元。
"""),
    "member-refund": ("会员卡退款规则", """
会员卡开通后7天内，未使用任何会员权益的，可以申请全额退款。

## 如何申请

打开 我的 > 会员卡 > 退款，提交后1个工作日内原路退回。已经使用过免运费等权益的会员卡不能退款。
"""),
    "late-delivery": ("送晚了怎么办", """
订单比预约时段晚送达超过30分钟，系统自动发放一张5元优惠券；晚送达超过60分钟，发放10元优惠券。

超过60分钟仍未送达的订单，您可以在订单页免责取消。
"""),
    "roaming": ("Using your phone abroad", """
Roaming is switched on for every SIM. To turn it off, go to the app > Mobile > Roaming.

## Zones and prices

Zone 1 covers Europe. The Europe Day Pass costs £3 a day and lets you use your home allowance.

Zone 2 covers the USA and Canada. The World Day Pass costs £7 a day and includes up to 2GB of data a day.

## Spending cap

A £50 monthly spending cap applies to roaming outside the passes. You can change it in the app.
"""),
    "sim-plans": ("SIM-only plans and prices", """
Our SIM-only plans:

- 5GB plan: £8 a month
- 40GB plan: £13 a month
- Unlimited plan: £20 a month

Every plan is a 12-month contract, or 30-day rolling for £3 more a month.
"""),
    "paying": ("Ways to pay your bill", """
You can pay your bill in three ways:

- Direct Debit, taken on your bill date
- debit or credit card in the app
- bank transfer, quoting your account number

If a payment fails, we try again after 5 days.
"""),
}


@cache
def _index() -> tuple[list[dict[str, Any]], Any]:
    from ai.backends.embeddings import embed

    chunks = [{"slug": slug, "title": title, "heading": draft.heading, "text": draft.text,
               "input": draft.embedding_input()}
              for slug, (title, body) in ARTICLES.items() for draft in chunk_article(title=title, body=body)]
    return chunks, embed([c["input"] for c in chunks], role="passage")


def search(query: str, limit: int = 5) -> list[SearchHit]:
    """As ``ai.retrieval.kb_search``: one hit per article, best first, the first three read whole."""
    from dataclasses import replace

    from ai.backends.embeddings import embed

    chunks, vectors = _index()
    similarity = vectors @ embed([query], role="query")[0]
    hits: dict[str, SearchHit] = {}
    for index in similarity.argsort()[::-1]:
        chunk = chunks[int(index)]
        if chunk["slug"] not in hits:
            hits[chunk["slug"]] = SearchHit(
                article_id=list(ARTICLES).index(chunk["slug"]) + 1, article_title=chunk["title"],
                article_slug=chunk["slug"], category_slug="", url=f"/h/t/articles/{chunk['slug']}/",
                chunk_id=int(index), heading=chunk["heading"], text=chunk["text"], snippet="",
                score=float(similarity[index]), vector_similarity=float(similarity[index]), fts_rank=None)
        if len(hits) == limit:
            break
    whole = {slug: "\n\n".join(c["text"] for c in chunks if c["slug"] == slug) for slug in ARTICLES}
    return [replace(h, text=whole[h.article_slug]) if i < 3 else h for i, h in enumerate(hits.values())]


def _slugs(citations: list[dict[str, Any]]) -> list[str]:
    return [c["url"].rstrip("/").rsplit("/", 1)[-1] for c in citations]


def test_a_chinese_question_is_answered_from_a_chinese_article_with_a_citation() -> None:
    outcome = answer(text="南湖那边买多少钱才包邮？", history=[], search=search, options=Options(confidence_floor=0.5))
    assert outcome.language == "zh"
    assert outcome.action == "answer", (outcome.reason, outcome.confidence, outcome.draft)
    assert _slugs(outcome.citations)[0] == "shipping-fees"
    assert "59元" in outcome.text


def test_the_guard_rejects_an_invented_figure_in_chinese() -> None:
    source = ["会员卡开通后7天内，未使用任何会员权益的，可以申请全额退款。"]
    assert not guard.check("我们会免费退款1000元。", source).supported
    assert not guard.check("会员卡开通后30天内可以申请全额退款。", source).supported
    assert guard.check("会员卡开通后7天内可以申请全额退款。", source).supported
    assert not guard.check("我们还会赠送一箱进口水果。", source).supported


@pytest.mark.parametrize("question", [
    "what sim plans do you have?", "how can I pay my bill?", "会员卡能退吗", "送晚了有补偿吗",
    "how much is roaming in the USA?",
])
def test_no_reply_ends_in_a_fragment(question: str) -> None:
    outcome = answer(text=question, history=[], search=search, options=Options(confidence_floor=0.0))
    reply = outcome.text or outcome.draft
    assert reply, outcome.reason
    assert reply[-1] in ".!?。！？)）", reply
    assert not reply.rstrip().endswith((":", "：")), reply


def test_a_list_is_quoted_with_its_lead_in() -> None:
    outcome = answer(text="what are the ways to pay my bill?", history=[], search=search,
                     options=Options(confidence_floor=0.0))
    assert outcome.draft.startswith("You can pay your bill in three ways:"), outcome.draft
    assert "Direct Debit" in outcome.draft and "bank transfer" in outcome.draft


def test_a_question_needing_two_articles_cites_both() -> None:
    units = textutil.units(ARTICLES["roaming"][1])
    assert any("World Day Pass costs £7" in u.text for u in units)
    outcome = answer(text="I'm on the Unlimited plan, what does it cost a month and how much is the World Day Pass "
                          "in the USA?", history=[], search=search, options=Options(confidence_floor=0.0))
    cited = _slugs(outcome.draft_citations)
    assert {"roaming", "sim-plans"} <= set(cited), (cited, outcome.draft)
    assert "£20" in outcome.draft and "£7" in outcome.draft


def test_a_follow_up_is_answered_about_the_earlier_subject() -> None:
    history = [Turn("customer", "我开通了会员卡，想退掉"), Turn("assistant", "会员卡开通后7天内可以申请全额退款。")]
    outcome = answer(text="那钱多久能退回来？", history=history, search=search, options=Options(confidence_floor=0.0))
    assert "会员卡" in outcome.query
    assert _slugs(outcome.draft_citations)[0] == "member-refund"
    assert "1个工作日" in outcome.draft


@pytest.mark.parametrize("question", ["do you sell gift cards for birthdays?", "你们在北京有实体店吗？"])
def test_an_out_of_kb_question_is_not_answered(question: str) -> None:
    outcome = answer(text=question, history=[], search=search, options=Options())
    assert outcome.action != "answer", (outcome.confidence, outcome.draft)
    if outcome.action == "handoff":
        assert outcome.summary


def test_suggestions_offer_the_top_articles_without_answering() -> None:
    """Not sure enough to answer (here: a floor no reply reaches), the bot offers the top articles by default;
    with the setting off it hands off at once."""
    question = "how much is the unlimited plan abroad"
    outcome = answer(text=question, history=[], search=search, options=Options(confidence_floor=1.01))
    assert (outcome.action, outcome.reason, outcome.text) == ("suggest", "unsure", "")
    assert 1 <= len(outcome.citations) <= 3 and set(_slugs(outcome.citations)) & {"sim-plans", "roaming"}
    off = answer(text=question, history=[], search=search, options=Options(confidence_floor=1.01,
                                                                            offer_articles=False))
    assert (off.action, off.reason, off.citations) == ("handoff", "low_confidence", [])
