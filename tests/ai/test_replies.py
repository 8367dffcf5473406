from __future__ import annotations

from ai.services.replies import format_reply

CITATIONS = [{"title": "Returns", "url": "/h/acme/returns/"}]


def test_an_email_reply_names_its_sources_in_the_customers_language() -> None:
    assert format_reply("7天无理由退货。", CITATIONS, "zh") == (
        "7天无理由退货。\n\n来自帮助中心：\n- Returns: /h/acme/returns/"
    )
    assert format_reply("Within 30 days.", CITATIONS, "") == (
        "Within 30 days.\n\nFrom our help center:\n- Returns: /h/acme/returns/"
    )


def test_an_email_reply_without_citations_is_just_the_answer() -> None:
    assert format_reply("Hello", [], "zh") == "Hello"
