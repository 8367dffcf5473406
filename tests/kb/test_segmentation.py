
from __future__ import annotations

import re

import pytest

from helpdesk.segmentation import STOP_WORDS, index_text, query_terms, segment


@pytest.mark.parametrize("text", ["Card delivery takes 3-5 days.", "", "  a_b __ £5 ", "Émile’s café, naïve"])
def test_text_without_chinese_comes_back_unchanged(text):
    assert index_text(text) == text
    assert segment(text) == text


def test_chinese_runs_become_words_and_the_rest_is_untouched():
    indexed = index_text("VIP会员满49元免运费！Express delivery")
    assert {"VIP", "会员", "运费", "Express", "delivery", "49"} <= set(re.findall(r"\w+", indexed))
    assert "！Express delivery" in indexed


def test_the_index_also_gets_the_words_inside_long_ones():
    assert {"总重", "重量", "总重量", "超过", "公斤"} <= set(index_text("总重量超过25公斤").split())
    assert {"会员", "会员卡"} <= set(index_text("青禾会员卡").split())


@pytest.mark.parametrize("text", ["总重量超过25公斤时，加收运费。", "会员退款：Refund within 7 days.", "VIP会员"])
def test_segmented_text_gives_the_text_back_without_its_separators(text):
    segmented = segment(text, separator="\x1f")
    assert segmented.count("\x1f") >= 2
    assert segmented.replace("\x1f", "") == text


@pytest.mark.parametrize(("query", "expected"), [
    ("运费怎么算", ["运费"]),
    ("会员能退款吗？", ["会员", "退款"]),
    ("请问一下你们的VIP会员可以退款吗", ["vip", "会员", "退款"]),
    ("Card & delivery | card!!", ["card", "delivery"]),
    ("满49元包邮吗", ["49", "包邮"]),
])
def test_query_terms_keep_the_words_that_carry_meaning(query, expected):
    assert query_terms(query, limit=32) == expected


def test_query_terms_drop_function_words_and_single_characters():
    terms = query_terms("我的快递到了吗？你们是不是可以退款", limit=32)
    assert "快递" in terms and "退款" in terms
    assert not any(len(term) == 1 or term in STOP_WORDS for term in terms)


@pytest.mark.parametrize("query", ["", "？！。，", "😀🙏", "&|!():*", "的了吗", "_ __"])
def test_queries_without_words_give_no_terms(query):
    assert query_terms(query, limit=32) == []


def test_query_terms_are_distinct_safe_and_bounded():
    terms = query_terms("运费 运费 OR 'x'):* " + " ".join(f"word{i}" for i in range(50)), limit=10)
    assert len(terms) == 10
    assert len(set(terms)) == len(terms)
    assert all(re.fullmatch(r"\w+", term) for term in terms)
    assert terms[:2] == ["运费", "or"]
